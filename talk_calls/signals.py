"""Signals a host site can connect to. Every one is sent by ``services`` with
``transaction.on_commit``, so a receiver sees committed state and can never undo it.
Nothing in the app depends on a receiver running.

All receive ``sender=Room`` and ``room`` (the Room). The rest:

- ``call_started``: ``attendee`` (who started it, None for system), ``flags``, ``silent``.
- ``call_ended``: ``attendee`` (or None), ``end_for_all`` (bool), ``event`` (the CallEvent).
- ``participant_joined_call``: ``attendee``, ``session``, ``flags``.
- ``participant_left_call``: ``attendee``, ``session_id``.
- ``participant_flags_changed``: ``attendee``, ``session``, ``old_flags``, ``flags``.
- ``participant_rung``: ``attendee`` (the target), ``caller`` (the ringing attendee),
  ``notification`` (the new CallNotification).

The host-facing documentation with examples is ``docs/signals.md``.
- ``participants_changed``: ``session_ids`` (Talk session ids touched): any join, leave,
  in-call or permission change of the room, the one place internal signaling listens to.
"""

from django.dispatch import Signal

call_started = Signal()
call_ended = Signal()
participant_joined_call = Signal()
participant_left_call = Signal()
participant_flags_changed = Signal()
participant_rung = Signal()
participants_changed = Signal()
