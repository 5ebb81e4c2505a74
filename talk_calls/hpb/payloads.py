"""The shapes the signaling server reads: room properties, permission lists and the
participant entries of ``incall`` / ``participants`` notifications (talk-signaling.md C3, C5).

Timestamps (``lobby-timer``, ``active-since``, ``lastPing``) are Unix seconds or null; the
reference sends PHP ``DateTime`` objects for the first two, which no client reads.
"""

from ..constants import MODERATOR_TYPES, ActorType, Permission, RoomType
from ..models import Attendee, Room, Session
from ..serializers import one_to_one_partners

#: Actor types that appear in ``participants`` / ``incall`` entries (C5).
NOTIFIED_ACTOR_TYPES = (ActorType.USERS, ActorType.GUESTS, ActorType.EMAILS, ActorType.FEDERATED_USERS)
#: The Talk session id of an entry without a session.
NO_SESSION_ID = "0"


def _seconds(value) -> int | None:
    return int(value.timestamp()) if value else None


def room_properties(room: Room, user_id: str | None, *, modified: bool = True) -> dict:
    """Return the room's ``properties`` for ``user_id`` (its display name of a one-to-one room).

    ``modified`` adds ``description`` (room answers and ``update``); otherwise
    ``participant-list: "refresh"`` (``invite`` / ``disinvite``), as the reference does.
    """
    name = room.name
    if room.type in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE) and user_id:
        partner = one_to_one_partners([room], user_id).get(room.pk)
        if partner:
            name = partner[1]
    properties = {
        "name": name,
        "type": room.type,
        "lobby-state": room.lobby_state,
        "lobby-timer": _seconds(room.lobby_timer),
        "read-only": room.read_only,
        "listable": room.listable,
        "active-since": _seconds(room.active_since),
        "sip-enabled": room.sip_enabled,
    }
    if modified:
        properties["description"] = room.description
    else:
        properties["participant-list"] = "refresh"
    return properties


def signaling_permissions(attendee: Attendee, room: Room) -> list[str]:
    """Return the signaling server's permission names of ``attendee`` (C3: publishing, ``control``)."""
    permissions = attendee.effective_permissions(room)
    names = [
        name
        for flag, name in (
            (Permission.PUBLISH_AUDIO, "publish-audio"),
            (Permission.PUBLISH_VIDEO, "publish-video"),
            (Permission.PUBLISH_SCREEN, "publish-screen"),
        )
        if permissions & flag
    ]
    if attendee.participant_type in MODERATOR_TYPES:
        names.append("control")
    return names


def session_entry(session: Session, *, with_permissions: bool = False) -> dict:
    """Return the entry of one Talk session (``session.attendee`` and ``session.room`` loaded)."""
    attendee = session.attendee
    entry = {
        "inCall": session.in_call,
        "lastPing": _seconds(session.last_ping) or 0,
        "sessionId": session.session_id,
        "nextcloudSessionId": session.session_id,
        "participantType": attendee.participant_type,
        "participantPermissions": attendee.effective_permissions(session.room),
        "displayName": attendee.resolved_display_name(),
        "actorType": attendee.actor_type,
        "actorId": attendee.actor_id,
    }
    if attendee.actor_type == ActorType.USERS:
        entry["userId"] = attendee.actor_id
    if with_permissions:
        entry["permissions"] = signaling_permissions(attendee, session.room)
    return entry


def gone_session_entry(session_id: str) -> dict:
    """Return the entry of a Talk session that no longer exists: out of the call."""
    return {"inCall": 0, "sessionId": session_id, "nextcloudSessionId": session_id}


def attendee_entry(attendee: Attendee, room: Room) -> dict:
    """Return the entry of an attendee without a session (``sessionId`` "0", permissions CUSTOM)."""
    entry = {
        "inCall": 0,
        "lastPing": 0,
        "sessionId": NO_SESSION_ID,
        "participantType": attendee.participant_type,
        "participantPermissions": int(Permission.CUSTOM),
        "displayName": attendee.resolved_display_name(),
        "actorType": attendee.actor_type,
        "actorId": attendee.actor_id,
    }
    if attendee.actor_type == ActorType.USERS:
        entry["userId"] = attendee.actor_id
    return entry
