"""Adapters: the only code that talks to Plex, Trakt, Apprise, SQLite and the disks."""
