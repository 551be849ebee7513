"""Frozen, I/O-free models shared by every layer."""
