"""The text scene builders (registered in ``synthgen.scene``)."""
