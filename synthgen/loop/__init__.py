"""Closing the loop between a model and the generator.

- ``synthgen target`` (``synthgen.loop.target``): a model's results on a synthgen dataset, matched
  to its labels, broken down by every parameter the samples record, and a new run config that
  draws more of what the model gets wrong.
- ``synthgen assist`` (``synthgen.loop.assist``): a small detector (``detector``) or CRNN text
  recogniser (``recognizer``) trained on a synthgen dataset (or the user's own checkpoint)
  pre-labels a folder of real images or word crops for review in Label Studio or CVAT
  (``transcriptions`` writes a recogniser's files; ``training`` holds what both models share).

Nothing here is imported by ``import synthgen``; torch, pycocotools and matplotlib load when a
command needs them.
"""
