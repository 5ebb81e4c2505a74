"""The numeric and string constants of Nextcloud Talk (talk-reference.md section 1).

Every value is explicit because clients compare them on the wire. Use the names, never the
numbers, in code and tests.
"""

from enum import IntFlag

from django.db import models


class RoomType(models.IntegerChoices):
    UNKNOWN = -1, "unknown"
    ONE_TO_ONE = 1, "one-to-one"
    GROUP = 2, "group"
    PUBLIC = 3, "public"
    CHANGELOG = 4, "changelog"
    FORMER_ONE_TO_ONE = 5, "former one-to-one"
    NOTE_TO_SELF = 6, "note to self"


#: Room types in which no call can take place (reference changeInCall: 400 "type").
NO_CALL_ROOM_TYPES = (RoomType.CHANGELOG, RoomType.FORMER_ONE_TO_ONE, RoomType.NOTE_TO_SELF)
#: One-to-one rooms, current and former (no rename, no delete, "call_missed" history).
ONE_TO_ONE_TYPES = (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE)
#: Rooms with a free attendee list, the only ones with lobby, listable scope and public/private.
GROUP_TYPES = (RoomType.GROUP, RoomType.PUBLIC)
#: Room types whose attendee list is fixed (reference: 400 "room-type" on add/remove/permissions).
FIXED_MEMBERSHIP_TYPES = (*ONE_TO_ONE_TYPES, RoomType.NOTE_TO_SELF)


class ReadOnly(models.IntegerChoices):
    READ_WRITE = 0, "read-write"
    READ_ONLY = 1, "read-only"


class Listable(models.IntegerChoices):
    NONE = 0, "participants only"
    USERS = 1, "regular users"
    ALL = 2, "everyone with an account"


class LobbyState(models.IntegerChoices):
    NONE = 0, "no lobby"
    NON_MODERATORS = 1, "lobby for non-moderators"


class SIPState(models.IntegerChoices):
    DISABLED = 0, "disabled"
    ENABLED = 1, "enabled with PIN"
    NO_PIN = 2, "enabled without PIN"


class StartCalls(models.IntegerChoices):
    EVERYONE = 0, "everyone"
    USERS = 1, "users only"
    MODERATORS = 2, "moderators only"
    DISABLED = 3, "calls disabled"


class RecordingConsent(models.IntegerChoices):
    NOT_REQUIRED = 0, "not required"
    REQUIRED = 1, "required"
    OPTIONAL = 2, "per conversation"


#: Values of a room's own recording-consent flag (the instance setting also has OPTIONAL).
ROOM_RECORDING_CONSENT_VALUES = (RecordingConsent.NOT_REQUIRED, RecordingConsent.REQUIRED)


class ParticipantType(models.IntegerChoices):
    OWNER = 1, "owner"
    MODERATOR = 2, "moderator"
    USER = 3, "user"
    GUEST = 4, "guest"
    USER_SELF_JOINED = 5, "self-joined user"
    GUEST_MODERATOR = 6, "guest moderator"


MODERATOR_TYPES = (ParticipantType.OWNER, ParticipantType.MODERATOR, ParticipantType.GUEST_MODERATOR)
USER_MODERATOR_TYPES = (ParticipantType.OWNER, ParticipantType.MODERATOR)
GUEST_TYPES = (ParticipantType.GUEST, ParticipantType.GUEST_MODERATOR)
#: Participant types that count as the room's users (self-joined users do not).
MEMBER_USER_TYPES = (ParticipantType.OWNER, ParticipantType.MODERATOR, ParticipantType.USER)


class InCallFlag(IntFlag):
    DISCONNECTED = 0
    IN_CALL = 1
    WITH_AUDIO = 2
    WITH_VIDEO = 4
    WITH_PHONE = 8


#: Highest in-call flag combination the API accepts.
IN_CALL_FLAGS_MAX = 15
#: Flags of a join without ``flags``.
DEFAULT_JOIN_FLAGS = InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO


class Permission(IntFlag):
    DEFAULT = 0
    CUSTOM = 1
    CALL_START = 2
    CALL_JOIN = 4
    LOBBY_IGNORE = 8
    PUBLISH_AUDIO = 16
    PUBLISH_VIDEO = 32
    PUBLISH_SCREEN = 64
    CHAT = 128


#: Every permission except CUSTOM (254): what moderators always have.
PERMISSIONS_MAX_DEFAULT = (
    Permission.CALL_START
    | Permission.CALL_JOIN
    | Permission.LOBBY_IGNORE
    | Permission.PUBLISH_AUDIO
    | Permission.PUBLISH_VIDEO
    | Permission.PUBLISH_SCREEN
    | Permission.CHAT
)
#: MAX_DEFAULT with the CUSTOM marker (255).
PERMISSIONS_MAX_CUSTOM = PERMISSIONS_MAX_DEFAULT | Permission.CUSTOM
#: Built-in default for non-moderators: MAX_DEFAULT without LOBBY_IGNORE (246).
PERMISSIONS_BUILTIN_DEFAULT = PERMISSIONS_MAX_DEFAULT & ~Permission.LOBBY_IGNORE


class PermissionMethod(models.TextChoices):
    SET = "set"
    ADD = "add"
    REMOVE = "remove"


class ActorType(models.TextChoices):
    USERS = "users"
    GROUPS = "groups"
    CIRCLES = "circles"
    GUESTS = "guests"
    EMAILS = "emails"
    FEDERATED_USERS = "federated_users"
    PHONES = "phones"


#: Actor id used for actions without an actor (session expiry, max-duration job, cleanup).
SYSTEM_ACTOR_ID = "system"


#: Actor types of people without an account (a call summary counts them as guests).
GUEST_ACTOR_TYPES = (ActorType.GUESTS, ActorType.EMAILS)
#: Actor types that stand for several people (never promoted, no own permissions).
COLLECTIVE_ACTOR_TYPES = (ActorType.GROUPS, ActorType.CIRCLES)


class DialOutState(models.TextChoices):
    """Where a dial-out to a phone attendee stands; only ``DIALING`` blocks another dial-out."""

    NONE = "", "never dialed"
    DIALING = "dialing", "dialing"
    CONNECTED = "connected", "connected"
    REJECTED = "rejected", "rejected"
    FAILED = "failed", "failed"
    ENDED = "ended", "ended"


class SessionState(models.IntegerChoices):
    INACTIVE = 0, "inactive"
    ACTIVE = 1, "active"


class NotificationLevel(models.IntegerChoices):
    DEFAULT = 0, "default"
    ALWAYS = 1, "always"
    MENTION = 2, "mention"
    NEVER = 3, "never"


class CallEventKind(models.TextChoices):
    CALL_STARTED = "call_started"
    CALL_JOINED = "call_joined"
    CALL_LEFT = "call_left"
    CALL_ENDED = "call_ended"
    CALL_ENDED_EVERYONE = "call_ended_everyone"
    CALL_MISSED = "call_missed"


class NotificationStateCase(models.IntegerChoices):
    STILL_CURRENT = 0, "still current"
    ROOM_NOT_FOUND = 1, "room not found"
    MISSED_CALL = 2, "missed call"
    PARTICIPANT_JOINED = 3, "participant joined"


#: Seconds a notification-state answer keeps ringing after the user left (45 + 15).
CALL_NOTIFICATION_RERING_SECONDS = 60

#: Length of generated Talk session ids (the reference's docs say 512; the code uses 255).
SESSION_ID_LENGTH = 255
#: Alphabet of session ids: URL-safe, so they never need escaping (CONTRACT section 2).
SESSION_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: Alphabet and minimum length of new room tokens (reference section 7.18).
TOKEN_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"
TOKEN_MIN_LENGTH = 8
#: Route pattern of tokens.
TOKEN_PATTERN = r"[a-z0-9]{4,30}"
#: Tokens the reference reserves for other routes.
RESERVED_TOKENS = ("settings", "backend")

ROOM_NAME_MAX_LENGTH = 255
#: Longest ``roomName`` a rename may send: longer text is refused before it is stripped.
ROOM_NAME_PARAM_MAX_LENGTH = 1024
DESCRIPTION_MAX_LENGTH = 2000

#: Longest room password a request may send (the hasher's input is bounded).
PASSWORD_MAX_LENGTH = 1024
#: Longest user id, group id or other actor id a request may name (``Attendee.actor_id``).
ACTOR_ID_MAX_LENGTH = 255
#: Longest ``source`` / ``objectType`` / ``objectId`` parameter (their columns).
SHORT_FIELD_MAX_LENGTH = 64
#: Longest display name a guest may set (``Attendee.display_name``).
DISPLAY_NAME_MAX_LENGTH = 255
#: Largest unix time accepted as a lobby timer (year 6325: beyond any datetime trouble).
LOBBY_TIMER_MAX = 2**37
#: Largest unix time accepted as ``modifiedSince``.
MODIFIED_SINCE_MAX = 2**40
#: Largest attendee id accepted as a parameter (fits a signed 64-bit primary key).
ATTENDEE_ID_MAX = 2**62
