"""Errors that the command line turns into one line and exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: a config, a dataset, a file, an argument. Exit code 2."""


class ConfigError(InputError):
    """A config is malformed; the message starts with the key path: ``a.b.c: what is wrong``."""

    def __init__(self, key: str, message: str):
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}" if key else message)


class DatasetError(InputError):
    """An output or input dataset folder cannot be used as asked; the message names the path."""
