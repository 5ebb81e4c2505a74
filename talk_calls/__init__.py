"""talk_calls: the Nextcloud Talk call API (v4) as a reusable Django app."""

__version__ = "0.1.0"
