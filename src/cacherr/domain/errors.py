"""The Cacherr error tree. Every error carries a message a user can act on."""

from __future__ import annotations


class CacherrError(Exception):
    """Base of every error Cacherr raises on purpose."""


class ConfigError(CacherrError):
    """Settings are invalid. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class StateStoreError(CacherrError):
    """The state database cannot be opened, is corrupt, or is from a newer Cacherr."""


class PlexUnavailable(CacherrError):
    """Plex cannot be reached or refused the owner token: nothing may be touched this cycle."""


class UnmappedPath(CacherrError):
    """A Plex path lies outside every configured path mapping."""


class UnsafePath(CacherrError):
    """A path is outside the configured media roots, or is the Unraid union view."""


class InsufficientSpace(CacherrError):
    """The destination does not have room within the budget."""


class CycleBusy(CacherrError):
    """Another cycle holds the single-flight lock."""
