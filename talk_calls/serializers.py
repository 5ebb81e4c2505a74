"""Response shapes: the room object (reference section 5.2), participant list entries
(section 5.3) and the small call shapes; and the validation of room creation.

Functions here only read; they never save. Pass objects that already carry what they
need (``select_related``) so a list costs no query per item.
"""

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from .access import Participant, can_start_call, is_held_in_lobby
from .conf import app_settings
from .constants import (
    ACTOR_ID_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    GROUP_TYPES,
    LOBBY_TIMER_MAX,
    ONE_TO_ONE_TYPES,
    PASSWORD_MAX_LENGTH,
    PERMISSIONS_MAX_CUSTOM,
    ROOM_NAME_MAX_LENGTH,
    ROOM_RECORDING_CONSENT_VALUES,
    SHORT_FIELD_MAX_LENGTH,
    USER_MODERATOR_TYPES,
    ActorType,
    Listable,
    LobbyState,
    NotificationLevel,
    NotificationStateCase,
    ParticipantType,
    Permission,
    ReadOnly,
    RoomType,
    SIPState,
)
from .exceptions import BadRequest
from .models import Attendee, Room, user_display_name, users_by_username


def timestamp(value) -> int:
    return int(value.timestamp()) if value else 0


def peers_payload(rows, token: str, *, moderator: bool) -> list[dict]:
    """Return the ``GET /call`` list from ``peerlist.peer_rows`` tuples (no model
    instances; ``last_ping`` in seconds since the epoch). A user attendee without a stored name shows the user's live name (one
    query for all of them), or the user id (``Attendee.resolved_display_name``). A phone
    attendee's number is masked unless the caller is a ``moderator`` (``mask_phone_number``)."""
    rows = list(rows)
    nameless = {
        user_id for _, _, actor_type, _, name, user_id in rows if not name and user_id and actor_type == ActorType.USERS
    }
    live_names = {}
    if nameless:
        live_names = {
            pk: user_display_name(user) for pk, user in get_user_model()._default_manager.in_bulk(nameless).items()
        }
    return [
        {
            "actorType": actor_type,
            "actorId": actor_id,
            "displayName": _peer_name(actor_type, actor_id, name, live_names.get(user_id), moderator=moderator),
            "token": token,
            "lastPing": int(last_ping),
            "sessionId": session_id,
        }
        for session_id, last_ping, actor_type, actor_id, name, user_id in rows
    ]


def _peer_name(actor_type: str, actor_id: str, name: str, live_name: str | None, *, moderator: bool) -> str:
    if actor_type == ActorType.PHONES and name and not moderator:
        return mask_phone_number(name)
    return name or ((live_name or actor_id) if actor_type == ActorType.USERS else name)


def _notification_level(room: Room, participant: Participant) -> int:
    """Return the attendee's notification level with "default" (0) resolved (reference section 1.11):
    never for guests, always for one-to-one rooms, mentions for the others."""
    level = participant.attendee.notification_level
    if level != NotificationLevel.DEFAULT:
        return level
    if participant.is_guest:
        return NotificationLevel.NEVER
    if room.type in ONE_TO_ONE_TYPES:
        return NotificationLevel.ALWAYS
    return NotificationLevel.MENTION


def _unserved_fields() -> dict:
    """Fields of features this app does not serve (chat, breakout rooms, avatars, recording,
    SIP PINs), with the values the reference answers when they are off."""
    return {
        "callRecording": 0,
        "canEnableSIP": False,
        "attendeePin": "",
        "messageExpiration": 0,
        "breakoutRoomMode": 0,
        "breakoutRoomStatus": 0,
        "mentionPermissions": 0,
        "lastReadMessage": 0,
        "unreadMessages": 0,
        "unreadMention": False,
        "unreadMentionDirect": False,
        "lastCommonReadMessage": 0,
        "isFavorite": False,
        "isArchived": False,
        "isSensitive": False,
        "avatarVersion": "",
        "isCustomAvatar": False,
        "liveTranscriptionLanguageId": "",
        "lastMessage": [],
    }


def _outsider_payload(room: Room) -> dict:
    """Return the room object for a caller who is not a participant (reference RoomFormatter).

    Every field is present with the reference's defaults; a listable room also shows its
    name, description and state (hasCall stays false while the lobby is on).
    """
    data = {
        "id": room.pk,
        "token": room.token,
        "type": room.type,
        "name": "",
        "displayName": "",
        "description": "",
        "objectType": "",
        "objectId": "",
        "participantType": ParticipantType.GUEST,
        "participantFlags": 0,
        "readOnly": ReadOnly.READ_WRITE,
        "hasPassword": room.has_password,
        "hasCall": False,
        "callStartTime": 0,
        "callFlag": 0,
        "recordingConsent": room.effective_recording_consent(),
        "canStartCall": False,
        "lobbyState": LobbyState.NONE,
        "lobbyTimer": 0,
        "sipEnabled": SIPState.DISABLED,
        "actorType": "",
        "actorId": "",
        "attendeeId": 0,
        "permissions": int(Permission.CUSTOM),
        "attendeePermissions": int(Permission.CUSTOM),
        "callPermissions": int(Permission.CUSTOM),
        "defaultPermissions": int(Permission.CUSTOM),
        "lastPing": 0,
        "sessionId": "0",
        "notificationLevel": NotificationLevel.NEVER,
        "notificationCalls": 0,
        "listable": Listable.NONE,
        "lastActivity": 0,
        "isImportant": False,
        "canLeaveConversation": False,
        "canDeleteConversation": False,
        **_unserved_fields(),
    }
    if room.listable != Listable.NONE:
        data.update(
            {
                "name": room.name,
                "displayName": room.name,
                "description": room.description,
                "objectType": room.object_type,
                "objectId": room.object_id,
                "readOnly": room.read_only,
                "hasCall": room.has_call and not room.lobby_active(),
                "callStartTime": timestamp(room.active_since),
                "callFlag": room.call_flag,
                "lobbyState": room.effective_lobby_state(),
                "lobbyTimer": timestamp(room.effective_lobby_timer()),
                "sipEnabled": room.sip_enabled,
                "listable": room.listable,
                "lastActivity": timestamp(room.last_activity),
            }
        )
    return data


def _session_fields(session) -> dict:
    """The room object's fields of the caller's own Talk session (none: not joined)."""
    if session is None:
        return {"participantFlags": 0, "lastPing": 0, "sessionId": "0"}
    return {
        "participantFlags": session.in_call,
        "lastPing": timestamp(session.last_ping),
        "sessionId": session.session_id,
    }


def _leave_and_delete_fields(room: Room, attendee: Attendee, held_in_lobby: bool) -> dict:
    """As in the reference: users may leave (but not their note-to-self), and so may anyone
    held in the lobby; user moderators may delete group and public rooms."""
    is_user = attendee.actor_type == ActorType.USERS
    return {
        "canLeaveConversation": held_in_lobby or (is_user and room.type != RoomType.NOTE_TO_SELF),
        "canDeleteConversation": not held_in_lobby
        and is_user
        and room.type not in ONE_TO_ONE_TYPES
        and attendee.participant_type in USER_MODERATOR_TYPES,
    }


def room_payload(room: Room, participant: Participant | None, *, partner: tuple | None = None) -> dict:
    """Return the room object as Talk clients read it, for the caller ``participant`` (or none).

    ``partner`` is ``(user id, display name)`` of the other user of a one-to-one room (see
    ``one_to_one_partners``): ``displayName`` shows the name and, as in the reference
    (clients load the avatar from it), ``name`` of a type 1 room is the other user's id.
    A caller held in the lobby sees no call (``hasCall`` and ``canStartCall`` false).
    """
    if participant is None:
        return _outsider_payload(room)
    attendee = participant.attendee
    held_in_lobby = is_held_in_lobby(participant)
    own = _session_fields(participant.session)
    data = {
        "id": room.pk,
        "token": room.token,
        "type": room.type,
        "name": partner[0] if partner and room.type == RoomType.ONE_TO_ONE else room.name,
        "displayName": partner[1] if partner else room.name,
        "description": room.description,
        "objectType": room.object_type,
        "objectId": room.object_id,
        "participantType": attendee.participant_type,
        "participantFlags": own["participantFlags"],
        "readOnly": room.read_only,
        "hasPassword": room.has_password,
        "hasCall": room.has_call and not held_in_lobby,
        "callStartTime": timestamp(room.active_since),
        "callFlag": room.call_flag,
        "recordingConsent": room.effective_recording_consent(),
        "canStartCall": not held_in_lobby and can_start_call(participant),
        "lobbyState": room.effective_lobby_state(),
        "lobbyTimer": timestamp(room.effective_lobby_timer()),
        "sipEnabled": room.sip_enabled,
        "actorType": attendee.actor_type,
        "actorId": attendee.actor_id,
        "attendeeId": attendee.pk,
        "permissions": participant.permissions,
        "attendeePermissions": attendee.permissions,
        "callPermissions": int(Permission.DEFAULT),
        "defaultPermissions": room.default_permissions,
        "lastPing": own["lastPing"],
        "sessionId": own["sessionId"],
        "notificationLevel": _notification_level(room, participant),
        "notificationCalls": int(attendee.notification_calls),
        "listable": room.listable,
        "lastActivity": timestamp(room.last_activity),
        "isImportant": bool(attendee.important),
        **_leave_and_delete_fields(room, attendee, held_in_lobby),
        **_unserved_fields(),
    }
    if room.sip_enabled != SIPState.DISABLED and attendee.pin:
        data["attendeePin"] = attendee.pin
    return data


def participant_room_payload(participant: Participant) -> dict:
    """Return the room object for ``participant``, with a one-to-one room's partner (one query)."""
    room = participant.room
    attendee = participant.attendee
    names = one_to_one_partners([room], attendee.actor_id if attendee.actor_type == ActorType.USERS else None)
    return room_payload(room, participant, partner=names.get(room.pk))


#: HTTP status of each ``GET /call/{token}/notification-state`` answer (reference section 3.8).
NOTIFICATION_STATE_STATUS = {
    NotificationStateCase.STILL_CURRENT: 200,
    NotificationStateCase.MISSED_CALL: 201,
    NotificationStateCase.ROOM_NOT_FOUND: 404,
    NotificationStateCase.PARTICIPANT_JOINED: 404,
}
#: ``meta.message`` of the 404 answers: why the phone stops ringing.
NOTIFICATION_STATE_MESSAGE = {
    NotificationStateCase.ROOM_NOT_FOUND: "Conversation not found, or you are not a participant of it: stop ringing",
    NotificationStateCase.PARTICIPANT_JOINED: "You joined this call: stop ringing",
}


def conflict_payload(session) -> dict:
    """Return the 409 body of a join that would replace a session still in a call."""
    return {"sessionId": session.session_id, "inCall": session.in_call, "lastPing": timestamp(session.last_ping)}


def _one_to_one_partner(room: Room, user_id: str) -> str | None:
    others = [name for name in room.one_to_one_user_ids() if name != user_id]
    return others[0] if others else None


def one_to_one_partners(rooms, user_id: str | None) -> dict:
    """Return ``{room.pk: (other user id, display name)}`` for the one-to-one rooms in ``rooms`` (one query)."""
    partners = {}
    for room in rooms:
        if room.type in ONE_TO_ONE_TYPES and user_id:
            partner = _one_to_one_partner(room, user_id)
            if partner:
                partners[room.pk] = partner
    if not partners:
        return {}
    names = {user.get_username(): user_display_name(user) for user in users_by_username(set(partners.values()))}
    return {pk: (partner, names.get(partner, partner)) for pk, partner in partners.items()}


def mask_phone_number(number: str) -> str:
    """Return ``number`` without its last four characters, as the reference shows phone
    attendees (``substr($number, 0, -4) . '…'`` in ``RoomController::addParticipantToRoom``)."""
    return number[:-4] + "…" if len(number) > 4 else "…"


def attendee_display_name(attendee: Attendee, caller: Participant) -> str:
    """Return ``attendee``'s display name as ``caller`` may see it: a phone attendee's number
    is masked for everyone but moderators."""
    name = attendee.resolved_display_name()
    if attendee.actor_type == ActorType.PHONES and not caller.is_moderator:
        if attendee.phone_number and attendee.phone_number in name:
            return name.replace(attendee.phone_number, mask_phone_number(attendee.phone_number))
    return name


def participant_payload(attendee: Attendee, room: Room, caller: Participant) -> dict:
    """Return one entry of ``GET /room/{token}/participants`` (reference section 5.3).

    ``attendee.live_sessions`` (a prefetch) holds its sessions younger than the kill
    timeout: ``inCall`` is the OR of their flags, ``lastPing`` the newest ping.
    """
    sessions = getattr(attendee, "live_sessions", None)
    if sessions is None:
        sessions = list(attendee.sessions.all())
    in_call = 0
    for session in sessions:
        in_call |= session.in_call
    caller_attendee = caller.attendee
    is_user_moderator = caller_attendee.participant_type in USER_MODERATOR_TYPES
    show_pin = room.sip_enabled != SIPState.DISABLED and (is_user_moderator or caller_attendee.pk == attendee.pk)
    # Like the reference with SIP configured: phone numbers for user moderators only.
    is_phone = attendee.actor_type == ActorType.PHONES and bool(app_settings.SIP_DIALOUT_BACKEND)
    return {
        "roomToken": room.token,
        "inCall": in_call,
        "lastPing": max((timestamp(s.last_ping) for s in sessions), default=0),
        "sessionIds": [s.session_id for s in sessions],
        "participantType": attendee.participant_type,
        "attendeeId": attendee.pk,
        "actorId": attendee.actor_id,
        "actorType": attendee.actor_type,
        "displayName": attendee_display_name(attendee, caller),
        "permissions": attendee.effective_permissions(room),
        "attendeePermissions": attendee.permissions,
        "attendeePin": attendee.pin if show_pin else "",
        "phoneNumber": attendee.phone_number if is_phone and is_user_moderator else "",
        "callId": attendee.call_id if is_phone and is_user_moderator else "",
    }


def participant_list(attendees, room: Room, caller: Participant) -> list[dict]:
    """Return the participant list entries of ``attendees`` (from ``access.listed_attendees``)."""
    return [participant_payload(attendee, room, caller) for attendee in attendees]


#: Object types a room may reference (reference section 1.1).
OBJECT_TYPES = (
    "",
    "file",
    "share:password",
    "room",
    "phone",
    "phone_persist",
    "phone_temporary",
    "sample",
    "event",
    "extended_conversation",
    "instant_meeting",
    "emails",
)


def _choice(params, name, values, error) -> int:
    value = params.integer(name, default=0, error=error)
    if value not in values:
        raise BadRequest(error, f"{name} must be one of {', '.join(str(int(v)) for v in values)}")
    return value


#: ``participants`` keys of room creation this app cannot invite (no teams app, no e-mail
#: guests, no federation, no phone invitations on creation): reported as invalid.
UNSUPPORTED_INVITATIONS = ("teams", "emails", "federated_users", "phones")


def _string_list(participants: dict, key: str) -> list[str]:
    values = participants.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadRequest("invite", f"participants.{key} must be a list of strings")
    return values


def _invites(params) -> tuple[dict, str]:
    """Return the invitations by kind (``participants`` plus the legacy ``invite``) and the legacy invite.

    As the reference does today, a legacy ``invite`` names a team with ``source=circles``
    and a group with any other ``source`` (``users``, ``emails`` and ``teams`` included).
    """
    invite = params.string("invite", max_length=ACTOR_ID_MAX_LENGTH, error="invite")
    source = params.string("source", max_length=SHORT_FIELD_MAX_LENGTH, error="source")
    participants = params.raw("participants") or {}
    if not isinstance(participants, dict):
        raise BadRequest("invite", "participants must be an object of lists of strings")
    invitations = {key: _string_list(participants, key) for key in ("users", "groups", *UNSUPPORTED_INVITATIONS)}
    if invite:
        kind = "teams" if source == "circles" else "groups"
        if invite not in invitations[kind]:
            invitations[kind].append(invite)
    return invitations, invite


def validate_room_creation(params, room_type: int) -> dict:
    """Return the keyword arguments of ``services.rooms.create_room`` for a group or public room.

    Raise the reference's 400 keys (``type``, ``name``, ``password``, ``read-only``,
    ``listable``, ``lobby``, ``lobby-timer``, ``sip-enabled``, ``permissions``,
    ``recording-consent``, ``description``, ``object-type``, ``object-id``) and 400
    ``invite`` for a ``participants`` value that is not lists of strings.
    """
    if room_type not in GROUP_TYPES:
        raise BadRequest("type", "roomType must be 1 (one-to-one), 2 (group) or 3 (public)")
    invitations, legacy_invite = _invites(params)
    name = params.string("roomName", max_length=ROOM_NAME_MAX_LENGTH * 4, error="name")
    if name == "":  # the reference's legacy fallback: the invited group's name, else "---"
        name = (legacy_invite or "---").lstrip()[:64].rstrip()
    name = name.strip()
    if not name or len(name) > ROOM_NAME_MAX_LENGTH:
        raise BadRequest("name", f"roomName must have 1 to {ROOM_NAME_MAX_LENGTH} characters")
    object_type = params.string("objectType", max_length=SHORT_FIELD_MAX_LENGTH, error="object-type")
    if object_type not in OBJECT_TYPES:
        raise BadRequest("object-type", f"objectType must be one of {', '.join(repr(t) for t in OBJECT_TYPES)}")
    password = params.string("password", max_length=PASSWORD_MAX_LENGTH, error="password")
    if password and room_type != RoomType.PUBLIC:
        raise BadRequest("password", "Only public conversations can have a password")
    if _choice(params, "sipEnabled", SIPState.values, "sip-enabled") != SIPState.DISABLED:
        # No SIP bridge is configured in this app.
        raise BadRequest("sip-enabled", "SIP is not configured on this server: sipEnabled must be 0")
    consent = _choice(params, "recordingConsent", ROOM_RECORDING_CONSENT_VALUES, "recording-consent")
    if consent and not app_settings.RECORDING_CONSENT:
        raise BadRequest(
            "recording-consent", "Recording consent is not enabled on this server (RECORDING_CONSENT is 0)"
        )
    timer = params.integer("lobbyTimer", default=0, minimum=0, maximum=LOBBY_TIMER_MAX, error="lobby-timer")
    return {
        "room_type": room_type,
        "name": name,
        "invitations": invitations,
        "object_type": object_type,
        "object_id": params.string("objectId", max_length=SHORT_FIELD_MAX_LENGTH, error="object-id"),
        "password": make_password(password) if password else "",
        "read_only": _choice(params, "readOnly", ReadOnly.values, "read-only"),
        "listable": _choice(params, "listable", Listable.values, "listable"),
        "lobby_state": _choice(params, "lobbyState", LobbyState.values, "lobby"),
        "lobby_timer": datetime.fromtimestamp(timer, tz=UTC) if timer else None,
        "default_permissions": params.integer(
            "permissions", default=0, minimum=0, maximum=PERMISSIONS_MAX_CUSTOM, error="permissions"
        ),
        "recording_consent": consent,
        "description": params.string("description", max_length=DESCRIPTION_MAX_LENGTH, error="description"),
    }
