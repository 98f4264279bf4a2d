"""The sdist's configs/ and scenes/ are links into synthgen/, as in the repository: the Makefile and
the tests name configs/..., and each shipped file has one copy. Everything else is in pyproject.toml."""

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.sdist import sdist

LINKS = {"configs": "synthgen/configs", "scenes": "synthgen/scenes"}


class SdistWithLinks(sdist):
    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        for name, target in LINKS.items():
            os.symlink(target, Path(base_dir) / name)  # tarfile stores a link as a link


setup(cmdclass={"sdist": SdistWithLinks})
