"""``make bench``: the call API under a production server beside the stack's own ceiling.

Nothing here is imported by the app. ``bench.settings`` wraps the demo settings with a
query-counting middleware and a baseline view; ``bench.run`` seeds, drives and reports.
See docs/PERFORMANCE.md.
"""
