"""Cacherr. The version has one source, pyproject.toml; the installed package's metadata carries it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cacherr")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "unknown"
