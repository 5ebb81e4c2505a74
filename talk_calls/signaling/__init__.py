"""Signaling: what lets Talk clients set up WebRTC calls through this app (talk-signaling.md).

- ``tickets``: the v1 signaling ticket of ``helloAuthParams["1.0"]``.
- ``ice``: STUN and TURN servers with TURN REST credentials.
- ``config``: the ``GET signaling/settings`` payload, per signaling mode.
- ``relay``: internal signaling over the Channels layer: one channel per Talk session,
  one group per room, the long-poll wait.
- ``messages``: the rules of ``POST signaling/{token}`` (sender, recipient, control, SDP, limits).
- ``pull``: the database steps of a poll, around the wait.

Views live in ``views/signaling.py``; ``talk_calls.receivers`` turns every
``participants_changed`` into a wake-up of the room's polls; the call page is
``views/call_page.py``.
"""
