"""The text scene builders (registered in ``synthgen.scene``)."""

MAX_PLACEMENT_ATTEMPTS = 10_000  # tries to place one word or block (a loop bound per object)
