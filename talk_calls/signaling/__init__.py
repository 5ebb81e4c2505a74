"""Signaling: how browsers of one call find each other (talk-signaling.md)."""
