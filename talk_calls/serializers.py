"""Response shapes: the room object (reference section 5.2) and the small call shapes.

Functions here only read; they never save. Pass objects that already carry what they
need (``select_related``) so a list costs no query per item.
"""

from .access import Participant, can_start_call, is_held_in_lobby
from .constants import GUEST_TYPES, ParticipantType, Permission, SIPState
from .models import Room


def timestamp(value) -> int:
    return int(value.timestamp()) if value else 0


def room_payload(room: Room, participant: Participant | None) -> dict:
    """Return the room object as Talk clients read it, for the caller ``participant`` (or none)."""
    attendee = participant.attendee if participant else None
    session = participant.session if participant else None
    held_in_lobby = participant is not None and is_held_in_lobby(participant)
    if participant is None:
        held_in_lobby = room.lobby_active()
    permissions = participant.permissions if participant else int(Permission.CUSTOM)
    data = {
        "id": room.pk,
        "token": room.token,
        "type": room.type,
        "name": room.name,
        "displayName": room.name,
        "description": room.description,
        "objectType": room.object_type,
        "objectId": room.object_id,
        "participantType": attendee.participant_type if attendee else ParticipantType.GUEST,
        "participantFlags": session.in_call if session else 0,
        "readOnly": room.read_only,
        "hasPassword": room.has_password,
        "hasCall": room.has_call and not held_in_lobby,
        "callStartTime": timestamp(room.active_since),
        "callFlag": room.call_flag,
        "callRecording": 0,
        "recordingConsent": room.effective_recording_consent(),
        "canStartCall": bool(participant) and not held_in_lobby and can_start_call(participant),
        "lobbyState": room.lobby_state,
        "lobbyTimer": timestamp(room.lobby_timer),
        "sipEnabled": room.sip_enabled,
        "canEnableSIP": False,
        "attendeePin": "",
        "actorType": attendee.actor_type if attendee else "",
        "actorId": attendee.actor_id if attendee else "",
        "attendeeId": attendee.pk if attendee else 0,
        "permissions": permissions,
        "attendeePermissions": attendee.permissions if attendee else int(Permission.CUSTOM),
        "callPermissions": 0,
        "defaultPermissions": room.default_permissions if attendee else int(Permission.CUSTOM),
        "lastPing": timestamp(session.last_ping) if session else 0,
        "sessionId": session.session_id if session else "0",
        "notificationLevel": attendee.notification_level if attendee else 0,
        "notificationCalls": int(attendee.notification_calls) if attendee else 1,
        "listable": room.listable,
        "messageExpiration": 0,
        "breakoutRoomMode": 0,
        "breakoutRoomStatus": 0,
        "mentionPermissions": 0,
        "lastActivity": timestamp(room.last_activity),
        "lastReadMessage": 0,
        "unreadMessages": 0,
        "unreadMention": False,
        "unreadMentionDirect": False,
        "lastCommonReadMessage": 0,
        "isFavorite": False,
        "isArchived": False,
        "isImportant": bool(attendee.important) if attendee else False,
        "isSensitive": False,
        "canLeaveConversation": attendee is not None and attendee.participant_type not in GUEST_TYPES,
        "canDeleteConversation": attendee is not None
        and attendee.participant_type in (ParticipantType.OWNER, ParticipantType.MODERATOR),
        "avatarVersion": "",
        "isCustomAvatar": False,
        "liveTranscriptionLanguageId": "",
        "lastMessage": [],
    }
    if attendee and room.sip_enabled != SIPState.DISABLED and attendee.pin:
        data["attendeePin"] = attendee.pin
    return data


def conflict_payload(session) -> dict:
    """Return the 409 body of a join that would replace a session still in a call."""
    return {"sessionId": session.session_id, "inCall": session.in_call, "lastPing": timestamp(session.last_ping)}
