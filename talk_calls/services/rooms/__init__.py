"""Conversation changes around calls: rooms, attendees, moderators, room settings
(reference section 5). The top of the services package.

Three modules, re-exported here so ``from talk_calls.services.rooms import X`` works:
``create`` (create, rename, delete rooms), ``attendees`` (add, remove, leave,
moderators, permissions) and ``settings`` (lobby, read-only, listable, public,
password, recording consent, session state, guest names). Inside the package the
imports go ``settings`` -> ``attendees`` -> ``create``.

Every function takes the room lock first (``locking.lock_room``), then works on attendee
and session rows, and announces changes on commit (``events.participants_changed``).
Functions raise the endpoint errors of the reference (``BadRequest("type")``, ...);
views only parse parameters and serialize. Call side effects go through the call
services: enabling the lobby disconnects non-moderators, read-only ends the call for
everyone.
"""

from ..membership import readd_one_to_one_partners
from .attendees import (
    add_participant,
    demote_moderator,
    expire_stale_sessions_of,
    leave_room_for_good,
    promote_moderator,
    remove_attendee,
    remove_other_attendee,
    set_attendee_permissions,
    set_default_permissions,
)
from .create import create_one_to_one, create_room, delete_conversation, delete_room, new_token, rename_room
from .settings import (
    make_private,
    make_public,
    open_expired_lobbies,
    set_guest_name,
    set_listable,
    set_lobby,
    set_password,
    set_read_only,
    set_recording_consent,
    set_session_state,
)

__all__ = [
    "add_participant",
    "create_one_to_one",
    "create_room",
    "delete_conversation",
    "delete_room",
    "demote_moderator",
    "expire_stale_sessions_of",
    "leave_room_for_good",
    "make_private",
    "make_public",
    "new_token",
    "open_expired_lobbies",
    "promote_moderator",
    "readd_one_to_one_partners",
    "remove_attendee",
    "remove_other_attendee",
    "rename_room",
    "set_attendee_permissions",
    "set_default_permissions",
    "set_guest_name",
    "set_listable",
    "set_lobby",
    "set_password",
    "set_read_only",
    "set_recording_consent",
    "set_session_state",
]
