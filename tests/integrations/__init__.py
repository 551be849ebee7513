"""Integration tests: Apprise to a local receiver, Trakt against its emulator."""
