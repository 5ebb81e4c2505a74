"""Conversation changes around calls: rooms, attendees, moderators, room settings
(reference section 5).

A package of three modules, re-exported here so ``from talk_calls.services.rooms import X``
keeps working: ``create`` (create, list, rename, delete rooms), ``attendees`` (add, list,
remove, moderators, permissions) and ``settings`` (lobby, read-only, listable, public,
password, recording consent, session state, guest names); ``base`` holds the locks.

Every function takes the room lock first (``base.lock``), then works on attendee
and session rows, and announces changes on commit (``participants_changed``). Functions
raise the endpoint errors of the reference (``BadRequest("type")``, ...); views only
parse parameters and serialize. Call side effects go through the call services:
enabling the lobby disconnects non-moderators, read-only ends the call for everyone.
"""

from .attendees import (
    add_participant,
    demote_moderator,
    expire_stale_sessions_of,
    leave_room_for_good,
    listed_attendees,
    promote_moderator,
    remove_attendee,
    remove_other_attendee,
    set_attendee_permissions,
    set_default_permissions,
)
from .base import FIXED_MEMBERSHIP_TYPES, user_display_name
from .create import (
    create_one_to_one,
    create_room,
    delete_room,
    new_token,
    one_to_one_name,
    one_to_one_user_ids,
    readd_one_to_one_partners,
    rename_room,
    rooms_for_user,
)
from .settings import (
    make_private,
    make_public,
    set_guest_name,
    set_listable,
    set_lobby,
    set_password,
    set_read_only,
    set_recording_consent,
    set_session_state,
)

__all__ = [
    "FIXED_MEMBERSHIP_TYPES",
    "add_participant",
    "create_one_to_one",
    "create_room",
    "delete_room",
    "demote_moderator",
    "expire_stale_sessions_of",
    "leave_room_for_good",
    "listed_attendees",
    "make_private",
    "make_public",
    "new_token",
    "one_to_one_name",
    "one_to_one_user_ids",
    "promote_moderator",
    "readd_one_to_one_partners",
    "remove_attendee",
    "remove_other_attendee",
    "rename_room",
    "rooms_for_user",
    "set_attendee_permissions",
    "set_default_permissions",
    "set_guest_name",
    "set_listable",
    "set_lobby",
    "set_password",
    "set_read_only",
    "set_recording_consent",
    "set_session_state",
    "user_display_name",
]
