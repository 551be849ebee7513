"""Demo and test worlds: the Plex emulator and an Unraid-like lab."""
