"""The diffusion models synthgen runs, shared by the stages that use them: the built-in model and
users' checkpoints (``models``), used by the generate steps, and the background bank (``bank``):
diffusion backgrounds made once and cached, the ``diffusion`` kind of ``synthgen.backgrounds``.

Neither a stage nor a domain: both stages import it, and it imports neither (torch and diffusers
load when a model is first used).
"""
