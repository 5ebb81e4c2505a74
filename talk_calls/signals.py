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

Room changes a signaling server must hear of (talk-signaling.md section C5):

- ``attendees_added``: ``attendees`` (the new Attendee rows).
- ``attendees_removed``: ``attendees`` (the removed rows, as they were), ``session_ids``
  (their Talk sessions, now gone).
- ``permissions_changed``: ``session_ids``: attendee type, attendee or room default
  permissions, or a guest's name changed.
- ``room_modified``: a property of the room changed (name, lobby, read-only, listable,
  password, public/private, recording consent).
- ``room_deleted``: ``user_ids`` (the room's users before the deletion); ``room`` is the
  deleted instance.
"""

from django.dispatch import Signal

call_started = Signal()
call_ended = Signal()
participant_joined_call = Signal()
participant_left_call = Signal()
participant_flags_changed = Signal()
participant_rung = Signal()
participants_changed = Signal()
attendees_added = Signal()
attendees_removed = Signal()
permissions_changed = Signal()
room_modified = Signal()
room_deleted = Signal()
