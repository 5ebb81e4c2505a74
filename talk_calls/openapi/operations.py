"""What each endpoint reads and answers, for the API description: one ``Operation`` per
viewset action (or ``APIView`` method).

A viewset names its table (``schema = OCSAutoSchema(CALL_OPERATIONS)``). An operation
lists its parameters (``Param``: name, schema, the ``{"error": key}`` a bad value answers),
its successful answers, and the errors its code raises beyond the parameters; the checks
(the permission classes of the action) and the answers every endpoint can give (401,
``format``, the body, CSRF) are added by ``schema.OCSAutoSchema`` from the view itself.
Keep an operation in step with its view: the API tests validate every response against
the served description.
"""

from dataclasses import dataclass, field

from ..constants import (
    ACTOR_ID_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    IN_CALL_FLAGS_MAX,
    LOBBY_TIMER_MAX,
    MODIFIED_SINCE_MAX,
    PASSWORD_MAX_LENGTH,
    ROOM_NAME_MAX_LENGTH,
    ROOM_NAME_PARAM_MAX_LENGTH,
    ROOM_RECORDING_CONSENT_VALUES,
    SHORT_FIELD_MAX_LENGTH,
    ActorType,
    Listable,
    LobbyState,
    PermissionMethod,
    ReadOnly,
    RoomType,
    SIPState,
)
from ..exceptions import (
    BadRequest,
    CheckForbidden,
    DownloadRefused,
    ForbiddenError,
    NoTalkSession,
    NotFound,
    NotImplementedError_,
    PayloadTooLarge,
    PreconditionFailed,
    RoomNotFound,
    SessionInCall,
    TooManyRequests,
)
from ..serializers import OBJECT_TYPES
from .shapes import (
    ATTENDEE_ID,
    BOOLEAN,
    EMPTY_LIST,
    INTEGER,
    NULL,
    PERMISSIONS,
    SESSION_STATE,
    STRING,
    STRINGS,
    choice,
    error_object,
)


@dataclass(frozen=True)
class Param:
    """A request parameter: query parameter of GET and DELETE, JSON body field of POST and PUT.

    ``error`` is the key of the 400 ``{"error": key}`` a value of the wrong type or range
    answers ("": the parameter's name; None: none of its own).
    """

    name: str
    schema: dict
    description: str = ""
    required: bool = False
    error: str | None = ""

    @property
    def error_key(self) -> str | None:
        """The 400 key of a bad value (None: a bad value answers no error of its own)."""
        return self.name if self.error == "" else self.error


#: An answer given by name: ``(status, data schema or component name)``.
Answer = tuple[int, dict | str]


@dataclass(frozen=True)
class Operation:
    """One endpoint: summary, parameters, successful answers, errors raised by its code.

    ``raises`` holds exception instances as the code raises them (their status and
    payload shape are read from them) or ``(status, data schema)`` pairs.
    """

    summary: str
    params: tuple[Param, ...] = ()
    ok: tuple[Answer, ...] = ((200, NULL),)
    raises: tuple = ()
    #: Response headers of the successful answers: name -> description.
    headers: dict = field(default_factory=dict)
    #: Media type of the successful answer when it is not OCS JSON (the CSV download).
    media_type: str = ""


def _string(max_length: int | None = None, **extra) -> dict:
    return {**STRING, **({"maxLength": max_length} if max_length else {}), **extra}


def _integer(minimum: int | None = None, maximum: int | None = None, **extra) -> dict:
    schema: dict = dict(INTEGER)
    if minimum is not None:
        schema["minimum"] = int(minimum)
    if maximum is not None:
        schema["maximum"] = int(maximum)
    return {**schema, **extra}


NO_CALL_YET = BadRequest(None)
ROOM_HASH = {"X-Nextcloud-Talk-Hash": "sha1 of the settings clients cache: reload the capabilities when it changes"}

# --- /call/{token} (views.calls.CallViewSet) --------------------------------------------------

FLAGS = Param(
    "flags",
    _integer(0, IN_CALL_FLAGS_MAX),
    "In-call flags (IN_CALL 1, WITH_AUDIO 2, WITH_VIDEO 4, WITH_PHONE 8); must contain IN_CALL",
)

CALL_OPERATIONS = {
    "list": Operation("List the sessions in the call", ok=((200, {"type": "array", "items": "CallPeer"}),)),
    "join": Operation(
        "Join or start the call",
        params=(
            Param("flags", {**FLAGS.schema, "default": 7}, FLAGS.description),
            Param("silent", {**BOOLEAN, "default": False}, "Start the call without ringing anyone"),
            Param("silentFor", {**STRINGS, "default": []}, "User ids not to ring"),
            Param("recordingConsent", {**BOOLEAN, "default": False}, "The caller consents to being recorded"),
        ),
        raises=(BadRequest("consent"), BadRequest("type"), NoTalkSession(), CheckForbidden()),
    ),
    "update_flags": Operation(
        "Change the flags of the caller's session in the call",
        params=(Param("flags", FLAGS.schema, FLAGS.description, required=True),),
        raises=(NoTalkSession(), NO_CALL_YET),
    ),
    "leave": Operation(
        "Leave the call, or end it for everyone",
        params=(Param("all", {**BOOLEAN, "default": False}, "Moderators: end the call for everyone"),),
        raises=(NoTalkSession(),),
    ),
    "ring": Operation(
        "Ring an attendee again",
        raises=(BadRequest("in-call"), BadRequest("actor-type"), NotFound()),
    ),
    "dial_out": Operation(
        "Phone a phone attendee through the SIP dial-out backend",
        raises=(NO_CALL_YET, NotFound(), BadRequest("dialing"), (501, error_object(None))),
    ),
    "notification_state": Operation(
        "Tell a ringing phone whether to keep ringing",
        ok=((200, NULL), (201, NULL), (404, NULL)),
    ),
    "download": Operation(
        "Download the participants of the running call as CSV",
        params=(
            Param(
                "format",
                choice(["csv"], base={**STRING, "default": "csv"}),
                "The file format: only csv exists (another answers 400 [])",
                error=None,
            ),
        ),
        ok=((200, {"type": "string", "format": "binary"}),),
        raises=(DownloadRefused(),),
        media_type="text/csv",
    ),
}

# --- /room and /room/{token} (views.rooms.RoomViewSet) ------------------------------------------

ROOM_STATE = "Room"
ROOM = (200, ROOM_STATE)
VALUE_ERROR = BadRequest("value")
TYPE_ERROR = BadRequest("type")


def _setting(summary: str, *params: Param, raises: tuple = (TYPE_ERROR, VALUE_ERROR)) -> Operation:
    return Operation(summary, params=params, ok=(ROOM,), raises=raises)


ROOM_OPERATIONS = {
    "list": Operation(
        "List the caller's conversations",
        params=(
            Param(
                "modifiedSince", _integer(0, MODIFIED_SINCE_MAX, default=0), "Only rooms active since this unix time"
            ),
            Param("includeStatus", {**BOOLEAN, "default": False}, "Accepted; no user statuses are served"),
        ),
        ok=((200, {"type": "array", "items": ROOM_STATE}),),
        headers={
            **ROOM_HASH,
            "X-Nextcloud-Talk-Modified-Before": "unix time to pass as modifiedSince next time",
        },
    ),
    "create": Operation(
        "Create a conversation",
        params=(
            Param(
                "roomType",
                choice([RoomType.ONE_TO_ONE, RoomType.GROUP, RoomType.PUBLIC], base={**INTEGER, "default": 2}),
                "1 one-to-one (with invite), 2 group, 3 public",
                error="type",
            ),
            Param("roomName", _string(ROOM_NAME_MAX_LENGTH * 4), "1 to 255 characters after trimming", error="name"),
            Param("invite", _string(ACTOR_ID_MAX_LENGTH), "One-to-one: the other user; else a group (legacy)"),
            Param("source", _string(SHORT_FIELD_MAX_LENGTH), "Legacy: the kind of invite (groups, circles)"),
            Param(
                "participants",
                {
                    "type": "object",
                    "properties": {
                        kind: STRINGS for kind in ("users", "groups", "teams", "emails", "federated_users", "phones")
                    },
                },
                "Who to invite, by kind; only users and groups can be added",
                error="invite",
            ),
            Param("objectType", choice(OBJECT_TYPES, base=STRING), error="object-type"),
            Param("objectId", _string(SHORT_FIELD_MAX_LENGTH), error="object-id"),
            Param("password", _string(PASSWORD_MAX_LENGTH), "Public conversations only"),
            Param("readOnly", choice(ReadOnly.values), error="read-only"),
            Param("listable", choice(Listable.values), error="listable"),
            Param("lobbyState", choice(LobbyState.values), error="lobby"),
            Param("lobbyTimer", _integer(0, LOBBY_TIMER_MAX), "Unix time the lobby opens", error="lobby-timer"),
            Param("sipEnabled", choice([SIPState.DISABLED]), "No SIP bridge is built in: only 0", error="sip-enabled"),
            Param("permissions", PERMISSIONS, "Default permissions (0: the instance default)"),
            Param(
                "recordingConsent",
                choice(ROOM_RECORDING_CONSENT_VALUES),
                "1 needs RECORDING_CONSENT",
                error="recording-consent",
            ),
            Param("description", _string(DESCRIPTION_MAX_LENGTH)),
        ),
        ok=((200, ROOM_STATE), (201, ROOM_STATE), (202, ROOM_STATE)),
        raises=(ForbiddenError("invite"), NotFound("invite")),
    ),
    "retrieve": Operation("Get a conversation", ok=(ROOM,), raises=(NotFound(),), headers=ROOM_HASH),
    "rename": _setting(
        "Rename a conversation",
        Param("roomName", _string(ROOM_NAME_PARAM_MAX_LENGTH), "1 to 255 characters after trimming", error="value"),
    ),
    "destroy": Operation("Delete a conversation", raises=(BadRequest(),)),
    "set_default_permissions": _setting(
        "Set the default permissions of a conversation",
        Param("permissions", PERMISSIONS, required=True, error="value"),
        raises=(BadRequest("mode"), TYPE_ERROR, VALUE_ERROR),
    ),
    "set_lobby": _setting(
        "Set the lobby",
        Param("state", choice(LobbyState.values), required=True, error="value"),
        Param("timer", {**_integer(0, LOBBY_TIMER_MAX), "nullable": True}, "Unix time the lobby opens", error="value"),
    ),
    "set_sip": Operation(
        "Set SIP (no SIP bridge is built in: always refused)",
        params=(Param("state", choice(SIPState.values)),),
        ok=(),
        raises=(BadRequest("config", status_code=401), PreconditionFailed("config")),
    ),
    "set_read_only": _setting(
        "Make a conversation read-only or writable",
        Param("state", choice(ReadOnly.values), required=True, error="value"),
    ),
    "set_listable": _setting(
        "Set who can find a conversation", Param("scope", choice(Listable.values), required=True, error="value")
    ),
    "make_public": _setting(
        "Make a conversation public", Param("password", _string(PASSWORD_MAX_LENGTH)), raises=(TYPE_ERROR,)
    ),
    "make_private": _setting("Make a conversation private", raises=(TYPE_ERROR,)),
    "set_password": _setting(
        "Set or remove the password of a public conversation",
        Param("password", _string(PASSWORD_MAX_LENGTH), "'' removes it", error="value"),
        raises=(TYPE_ERROR,),
    ),
    "set_recording_consent": _setting(
        "Require recording consent in a conversation",
        Param("recordingConsent", choice(ROOM_RECORDING_CONSENT_VALUES), required=True, error="value"),
        raises=(PreconditionFailed("config"), VALUE_ERROR, BadRequest("call")),
    ),
}

# --- participants (views.participants.ParticipantViewSet) ----------------------------------------

ATTENDEE = Param("attendeeId", ATTENDEE_ID, "The attendee", required=True)
NO_ATTENDEE = NotFound()

PARTICIPANT_OPERATIONS = {
    "list": Operation("List the participants", ok=((200, {"type": "array", "items": "Participant"}),)),
    "add": Operation(
        "Add a user, a group's members or a phone number",
        params=(
            Param(
                "source",
                choice(
                    [ActorType.USERS, ActorType.GROUPS, ActorType.PHONES],
                    base={**STRING, "default": ActorType.USERS.value, "maxLength": SHORT_FIELD_MAX_LENGTH},
                ),
                "teams (circles), emails and federated_users are refused",
            ),
            Param("newParticipant", _string(ACTOR_ID_MAX_LENGTH), required=True, error="new-participant"),
        ),
        ok=((200, EMPTY_LIST),),
        raises=(
            BadRequest("room-type"),
            NotFound("new-participant"),
            NotImplementedError_("federation"),
        ),
    ),
    "join": Operation(
        "Join a conversation: create the caller's Talk session",
        params=(
            Param("password", _string(PASSWORD_MAX_LENGTH), "The room password (public rooms)"),
            Param("force", {**BOOLEAN, "default": True}, "End this browser's previous session even if in a call"),
        ),
        ok=(ROOM,),
        raises=(NotFound(), ForbiddenError("password"), ForbiddenError("guests"), SessionInCall(None)),
    ),
    "leave": Operation("Leave a conversation: end the caller's Talk session"),
    "leave_for_good": Operation(
        "Leave a conversation for good", raises=(BadRequest("last-moderator"), RoomNotFound(), NotFound())
    ),
    "set_session_state": Operation(
        "Mark the caller's session active or inactive",
        params=(Param("state", SESSION_STATE, required=True),),
        ok=(ROOM,),
        raises=(BadRequest(),),
    ),
    "remove": Operation(
        "Remove an attendee",
        params=(ATTENDEE,),
        raises=(
            BadRequest("room-type"),
            ForbiddenError("owner"),
            NotFound("participant"),
            BadRequest("last-moderator"),
            NotFound(),
            RoomNotFound(),
        ),
    ),
    "set_permissions": Operation(
        "Set, add or remove an attendee's permissions",
        params=(
            ATTENDEE,
            Param(
                "method",
                choice(PermissionMethod.values, base={**STRING, "default": PermissionMethod.SET.value}),
            ),
            Param("mode", choice(PermissionMethod.values, base=STRING), "Old name of method", error="method"),
            Param("permissions", PERMISSIONS, required=True, error="value"),
        ),
        ok=((200, {"type": "array", "items": "Participant"}),),
        raises=(
            NotFound("participant"),
            BadRequest("room-type"),
            ForbiddenError("moderator"),
            BadRequest("type"),
        ),
    ),
    "set_all_permissions": Operation(
        "Set every attendee's permissions (no longer supported: always 400)",
        params=(Param("permissions", PERMISSIONS),),
        ok=(),
        raises=(BadRequest(),),
    ),
    "promote": Operation(
        "Make an attendee a moderator", params=(ATTENDEE,), raises=(NO_ATTENDEE, ForbiddenError(), BadRequest())
    ),
    "demote": Operation(
        "Take moderator rights away", params=(ATTENDEE,), raises=(NO_ATTENDEE, ForbiddenError(), BadRequest())
    ),
    "set_guest_name": Operation(
        "Set a guest's display name",
        params=(Param("displayName", _string(DISPLAY_NAME_MAX_LENGTH)),),
    ),
}

# --- Nextcloud core (views.cloud) ----------------------------------------------------------------

# --- signaling (views.signaling; signaling/{token} is a plain async view: ``SignalingDescription``) --

SIGNALING_SETTINGS_OPERATIONS = {
    "get": Operation(
        "Get the signaling settings",
        params=(Param("token", _string(SHORT_FIELD_MAX_LENGTH), "The conversation (optional)"),),
        ok=((200, "SignalingSettings"),),
        # BadRequest("token"): conversation_cluster mode without a room's token.
        raises=(NotFound(), BadRequest("token")),
    )
}

#: The 400 of ``signaling/{token}`` outside internal mode: ``data`` is the message itself.
SIGNALING_DISABLED = (400, {**STRING, "enum": ["Internal signaling disabled."]})

SIGNALING_OPERATIONS = {
    "get": Operation(
        "Wait for signaling messages (internal signaling): up to 30 s, then usersInRoom",
        ok=((200, "SignalingEntries"),),
        # 404: no Talk session here (any more); 409: it was replaced by a newer one.
        raises=((404, "SignalingEntries"), (409, "SignalingEntries"), SIGNALING_DISABLED),
    ),
    "post": Operation(
        "Send signaling messages to sessions of the conversation (internal signaling)",
        params=(
            Param(
                "messages",
                _string(),
                'A JSON list of {"ev": "message", "fn": "<JSON message>", "sessionId": "<sender>"}',
                required=True,
            ),
        ),
        raises=(
            SIGNALING_DISABLED,
            PayloadTooLarge("messages"),
            PayloadTooLarge("message"),
            TooManyRequests("rate"),
        ),
    ),
}

SIGNALING_BACKEND_OPERATIONS = {
    "post": Operation(
        "Answer a signaling server (HPB): auth, room and ping requests, signed with the shared secret",
        ok=((200, "SignalingBackendAnswer"),),
        raises=((400, "SignalingBackendAnswer"), (429, "SignalingBackendAnswer")),
    )
}

CAPABILITIES_OPERATIONS = {"get": Operation("Get the capabilities", ok=((200, "Capabilities"),))}
CURRENT_USER_OPERATIONS = {"get": Operation("Get the logged-in user", ok=((200, "CurrentUser"),))}
