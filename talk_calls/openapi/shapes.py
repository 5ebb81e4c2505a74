"""JSON schemas of what the app answers: the OCS envelope, its payloads and the request
parameters (OpenAPI 3.0 dialect).

Plain dicts, no drf-spectacular objects: ``schema.OCSAutoSchema`` registers the named ones
(``COMPONENTS``) as components and wraps payloads in ``envelope``. Keep a shape here in step
with the function that builds it (``serializers.room_payload`` for ``Room``, ...): the API
tests validate every response against the served description.
"""

from ..constants import (
    ATTENDEE_ID_MAX,
    IN_CALL_FLAGS_MAX,
    PERMISSIONS_MAX_CUSTOM,
    TOKEN_PATTERN,
    Listable,
    LobbyState,
    NotificationLevel,
    ParticipantType,
    ReadOnly,
    RoomType,
    SessionState,
    SIPState,
)

INTEGER = {"type": "integer", "format": "int64"}
BOOLEAN = {"type": "boolean"}
STRING = {"type": "string"}
STRINGS = {"type": "array", "items": STRING}
#: A unix time in seconds (0: none).
TIMESTAMP = {**INTEGER, "minimum": 0}
TOKEN = {"type": "string", "pattern": f"^{TOKEN_PATTERN}$"}
ATTENDEE_ID = {**INTEGER, "minimum": 0, "maximum": ATTENDEE_ID_MAX}
IN_CALL = {**INTEGER, "minimum": 0, "maximum": IN_CALL_FLAGS_MAX}
PERMISSIONS = {**INTEGER, "minimum": 0, "maximum": int(PERMISSIONS_MAX_CUSTOM)}
#: ``data: []``: the answer of a failed check (and of endpoints that answer an empty list).
EMPTY_LIST = {"type": "array", "items": {}, "maxItems": 0}
#: ``data: null``.
NULL = {"nullable": True, "enum": [None]}


def choice(values, *, base=INTEGER) -> dict:
    """Return the schema of one of ``values`` (an IntegerChoices' ``values``, or strings)."""
    return {**base, "enum": [value if isinstance(value, str) else int(value) for value in values]}


def obj(properties: dict, *, optional: tuple = (), closed: bool = True) -> dict:
    """Return an object schema whose ``properties`` are all required but ``optional``."""
    schema: dict = {"type": "object", "properties": properties}
    required = [name for name in properties if name not in optional]
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def error_object(keys) -> dict:
    """Return the schema of ``{"error": key}`` for one of ``keys`` (None: any key, with a message)."""
    if keys is None:
        return obj({"error": STRING, "message": STRING}, optional=("message",))
    return obj({"error": {"type": "string", "enum": sorted(keys)}})


def meta(status_code: int, *, statuscodes=()) -> dict:
    """Return the schema of ``ocs.meta`` of a v2 answer with HTTP ``status_code`` (and
    ``meta.statuscode`` one of ``statuscodes``, default the status).

    Failures always carry a message (``exceptions``: every 4xx explains itself).
    """
    ok = 200 <= status_code < 300
    message = {"type": "string", "enum": ["OK"]} if ok else {"type": "string", "minLength": 1}
    return obj(
        {
            "status": {"type": "string", "enum": ["ok" if ok else "failure"]},
            "statuscode": {"type": "integer", "enum": sorted(statuscodes or [status_code])},
            "message": message,
        }
    )


#: ``ocs.meta`` of a v1 answer: HTTP 200 (401 stays 401), ``statuscode`` 100 on success.
V1_META = obj(
    {
        "status": {"type": "string", "enum": ["ok", "failure"]},
        "statuscode": INTEGER,
        "message": STRING,
        "totalitems": STRING,
        "itemsperpage": STRING,
    }
)


def envelope(data: dict, meta_schema: dict) -> dict:
    """Return the schema of ``{"ocs": {"meta": ..., "data": ...}}``."""
    return obj({"ocs": obj({"meta": meta_schema, "data": data})})


#: The plain 412 of a failed CSRF check (not OCS-wrapped, as in Talk).
CSRF_FAILED = obj({"message": {"type": "string", "enum": ["CSRF check failed"]}})

ROOM = obj(
    {
        "id": INTEGER,
        "token": TOKEN,
        "type": choice(RoomType.values),
        "name": STRING,
        "displayName": STRING,
        "description": STRING,
        "objectType": STRING,
        "objectId": STRING,
        "participantType": choice(ParticipantType.values),
        "participantFlags": IN_CALL,
        "readOnly": choice(ReadOnly.values),
        "hasPassword": BOOLEAN,
        "hasCall": BOOLEAN,
        "callStartTime": TIMESTAMP,
        "callFlag": IN_CALL,
        "recordingConsent": INTEGER,
        "canStartCall": BOOLEAN,
        "lobbyState": choice(LobbyState.values),
        "lobbyTimer": TIMESTAMP,
        "sipEnabled": choice(SIPState.values),
        "actorType": STRING,
        "actorId": STRING,
        "attendeeId": ATTENDEE_ID,
        "permissions": PERMISSIONS,
        "attendeePermissions": PERMISSIONS,
        "callPermissions": PERMISSIONS,
        "defaultPermissions": PERMISSIONS,
        "lastPing": TIMESTAMP,
        "sessionId": STRING,
        "notificationLevel": choice(NotificationLevel.values),
        "notificationCalls": INTEGER,
        "listable": choice(Listable.values),
        "lastActivity": TIMESTAMP,
        "isImportant": BOOLEAN,
        "canLeaveConversation": BOOLEAN,
        "canDeleteConversation": BOOLEAN,
        # Fields of features this app does not serve, with the values Talk answers when they are off.
        "callRecording": INTEGER,
        "canEnableSIP": BOOLEAN,
        "attendeePin": STRING,
        "messageExpiration": INTEGER,
        "breakoutRoomMode": INTEGER,
        "breakoutRoomStatus": INTEGER,
        "mentionPermissions": INTEGER,
        "lastReadMessage": INTEGER,
        "unreadMessages": INTEGER,
        "unreadMention": BOOLEAN,
        "unreadMentionDirect": BOOLEAN,
        "lastCommonReadMessage": INTEGER,
        "isFavorite": BOOLEAN,
        "isArchived": BOOLEAN,
        "isSensitive": BOOLEAN,
        "avatarVersion": STRING,
        "isCustomAvatar": BOOLEAN,
        "liveTranscriptionLanguageId": STRING,
        "lastMessage": EMPTY_LIST,
        # Only in the 202 answer of room creation: the invitations that could not be added.
        "invalidParticipants": {"type": "object", "additionalProperties": STRINGS},
    },
    optional=("invalidParticipants",),
)

PARTICIPANT = obj(
    {
        "roomToken": TOKEN,
        "inCall": IN_CALL,
        "lastPing": TIMESTAMP,
        "sessionIds": STRINGS,
        "participantType": choice(ParticipantType.values),
        "attendeeId": ATTENDEE_ID,
        "actorId": STRING,
        "actorType": STRING,
        "displayName": STRING,
        "permissions": PERMISSIONS,
        "attendeePermissions": PERMISSIONS,
        "attendeePin": STRING,
        "phoneNumber": STRING,
        "callId": STRING,
    }
)

CALL_PEER = obj(
    {
        "actorType": STRING,
        "actorId": STRING,
        "displayName": STRING,
        "token": TOKEN,
        "lastPing": TIMESTAMP,
        "sessionId": STRING,
    }
)

#: 409 of a join without ``force`` while this browser's previous session is in a call.
SESSION_CONFLICT = obj({"sessionId": STRING, "inCall": IN_CALL, "lastPing": TIMESTAMP})

CAPABILITIES = obj(
    {
        "version": {"type": "object"},
        "capabilities": obj(
            {
                "core": {"type": "object"},
                "spreed": obj(
                    {
                        "features": STRINGS,
                        "features-local": STRINGS,
                        "config": {"type": "object"},
                        "config-local": {"type": "object", "additionalProperties": STRINGS},
                        "version": STRING,
                    }
                ),
            }
        ),
    }
)

CURRENT_USER = obj(
    {
        "id": STRING,
        "display-name": STRING,
        "displayname": STRING,
        "email": {**STRING, "nullable": True},
        "enabled": BOOLEAN,
        "groups": STRINGS,
        "language": STRING,
        "locale": STRING,
    }
)

#: ``GET signaling/settings``: the fields of every mode; each mode adds its own (``signaling.config``).
SIGNALING_SETTINGS = obj(
    {
        "signalingMode": STRING,
        "userId": {**STRING, "nullable": True},
        "federation": NULL,
        "stunservers": {"type": "array", "items": {"type": "object"}},
        "turnservers": {"type": "array", "items": {"type": "object"}},
        "sipDialinInfo": STRING,
    },
    closed=False,
)

#: ``POST signaling/backend``: an answer of talk-signaling C3 to a signaling server (HPB);
#: ``type`` names the object that follows (``auth``, ``room``, or ``error`` with code and message).
SIGNALING_BACKEND_ANSWER = obj(
    {"type": {"type": "string", "enum": ["auth", "room", "error"]}},
    closed=False,
)

#: One session of ``usersInRoom`` (``signaling.pull.user_entry``).
SIGNALING_USER = obj(
    {
        "userId": STRING,
        "roomId": INTEGER,
        "lastPing": TIMESTAMP,
        "sessionId": STRING,
        "inCall": IN_CALL,
        "participantPermissions": PERMISSIONS,
        "actorType": STRING,
        "actorId": STRING,
    }
)

#: ``GET signaling/{token}``: relayed messages (JSON text each), then ``usersInRoom``.
SIGNALING_ENTRIES = {
    "type": "array",
    "items": {
        "anyOf": [
            obj({"type": {"type": "string", "enum": ["message"]}, "data": STRING}),
            obj(
                {
                    "type": {"type": "string", "enum": ["usersInRoom"]},
                    "data": {"type": "array", "items": SIGNALING_USER},
                }
            ),
        ]
    },
}

#: Named payloads, served as ``#/components/schemas/<name>``.
COMPONENTS = {
    "SignalingEntries": SIGNALING_ENTRIES,
    "SignalingSettings": SIGNALING_SETTINGS,
    "SignalingBackendAnswer": SIGNALING_BACKEND_ANSWER,
    "Room": ROOM,
    "Participant": PARTICIPANT,
    "CallPeer": CALL_PEER,
    "SessionConflict": SESSION_CONFLICT,
    "Capabilities": CAPABILITIES,
    "CurrentUser": CURRENT_USER,
}

#: ``state`` of ``participants/state``.
SESSION_STATE = choice(SessionState.values)
