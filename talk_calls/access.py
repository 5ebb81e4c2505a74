"""Look-ups for the current actor: its room, participant, Talk session, rooms and peers
(reference section 4.3). Read-only: nothing here writes a row.

A caller's Talk session is taken only from its own Django session (``token -> session
id``, kept by ``TalkSessionMap``), and is ignored when it does not belong to the
current actor (CONTRACT section 4). The rules of the reference's middleware (lobby,
start-call permission) are predicates here so permission classes, serializers and
services share them.
"""

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.db import connections, router
from django.db.models import Prefetch, Q

from .conf import app_settings
from .constants import (
    GROUP_TYPES,
    GUEST_ACTOR_TYPES,
    GUEST_TYPES,
    MODERATOR_TYPES,
    ActorType,
    Listable,
    ParticipantType,
    Permission,
    RoomType,
    StartCalls,
)
from .exceptions import NotFound, ParticipantNotFound, RoomNotFound
from .models import Attendee, Room, Session, kill_cutoff
from .sqlrows import ModelColumns, pk_column
from .throttling import client_address, client_ip

SESSION_MAP_KEY = "talk_calls_sessions"
#: Length of ``Session.django_session_key`` (64, the SHA-256 hex length).
SESSION_KEY_MAX_LENGTH = 64
GUEST_MAP_KEY = "talk_calls_guests"
#: The per-tab header of the web client (talk-signaling A3): 64 ASCII letters and digits.
TAB_ID_HEADER = "HTTP_X_NEXTCLOUD_TALK_SESSION_TAB_ID"
TAB_ID_RE = re.compile(r"[a-zA-Z0-9]{64}")


def tab_id(request) -> str:
    """Return the request's valid tab id, or ``""`` (a missing or malformed header counts as none)."""
    value = request.META.get(TAB_ID_HEADER, "")
    return value if TAB_ID_RE.fullmatch(value) else ""


def map_token(key: str) -> str:
    """Return the room token of a session-map key (``token`` or ``token$tab``)."""
    return key.split("$", 1)[0]


class TalkSessionMap:
    """The ``token -> Talk session id`` and ``token -> guest actor id`` maps in a Django session.

    With a ``tab`` id (the ``x-nextcloud-talk-session-tab-id`` header) the session map key
    is ``token$tab``, so two tabs of one browser hold two Talk sessions; forgetting a
    token without a tab forgets the tab entries of that token too (reference
    ``TalkSession::removeValue``). A guest keeps one actor id per room for all its tabs.
    """

    def __init__(self, django_session, *, tab: str = ""):
        self.django_session = django_session
        self.tab = tab

    def _key(self, token) -> str:
        return f"{token}${self.tab}" if self.tab else token

    def _get(self, key) -> dict:
        if self.django_session is None:
            return {}
        value = self.django_session.get(key)
        return value if isinstance(value, dict) else {}

    def _set(self, key, token, value):
        if self.django_session is None:
            return
        mapping = dict(self._get(key))
        if value is None:
            if token not in mapping:
                return  # nothing to forget: do not create a Django session for it
            mapping.pop(token, None)
        else:
            mapping[token] = value
        self.django_session[key] = mapping

    def session_id(self, token):
        value = self._get(SESSION_MAP_KEY).get(self._key(token))
        return value if isinstance(value, str) else None

    def set_session_id(self, token, session_id):
        self._set(SESSION_MAP_KEY, self._key(token), session_id)

    def forget_token(self, token) -> list[str]:
        """Forget this tab's session of ``token`` (without a tab: every tab's); return the ids forgotten."""
        mapping = self._get(SESSION_MAP_KEY)
        keys = [self._key(token)] if self.tab else [k for k in mapping if map_token(k) == token]
        forgotten = [mapping[k] for k in keys if isinstance(mapping.get(k), str)]
        if self.django_session is not None and any(k in mapping for k in keys):
            self.django_session[SESSION_MAP_KEY] = {k: v for k, v in mapping.items() if k not in keys}
        return forgotten

    def session_ids(self) -> dict:
        """Return every ``key -> session id`` entry (keys are ``token`` or ``token$tab``)."""
        return dict(self._get(SESSION_MAP_KEY))

    def guest_id(self, token):
        value = self._get(GUEST_MAP_KEY).get(token)
        return value if isinstance(value, str) else None

    def set_guest_id(self, token, actor_id):
        self._set(GUEST_MAP_KEY, token, actor_id)

    def rotate(self) -> None:
        """Give the Django session a new key, keeping its data (talk-known-problems S2).

        Call it after a successful password check, so a session key planted before the
        check is worthless after it. Talk sessions recorded under the old key follow.
        """
        if self.django_session is None:
            return
        old_key = self.key if self.django_session.session_key else ""
        self.django_session.cycle_key()
        new_key = self.key
        if old_key and new_key and old_key != new_key:
            Session.objects.filter(django_session_key=old_key).update(django_session_key=new_key)

    @property
    def key(self) -> str:
        """Return the Django session key as stored on Talk sessions, creating the session if
        it has none yet. Keys longer than the column (the signed-cookie engine's) are stored
        as their SHA-256 hex digest."""
        if self.django_session is None:
            return ""
        if not self.django_session.session_key:
            self.django_session.save()
        key = self.django_session.session_key or ""
        if len(key) > SESSION_KEY_MAX_LENGTH:
            key = hashlib.sha256(key.encode()).hexdigest()
        return key


def client_device(request) -> dict:
    """Return ``user_agent`` and ``client_address`` of ``request`` for the joining session.

    The address is ``REMOTE_ADDR``, or, when ``CLIENT_ADDRESS_HEADER`` names a header a
    trusted proxy sets, the last address in it (the one that proxy added); values that
    are no IP address count as none.
    """
    return {"user_agent": request.META.get("HTTP_USER_AGENT", "")[:255], "client_address": client_ip(request)}


@dataclass
class Actor:
    """The caller: a logged-in user, or an anonymous guest identified by its Django session."""

    #: The host's user (``AUTH_USER_MODEL``, whatever its class), or None for a guest.
    user: Any
    sessions: TalkSessionMap
    #: The client address throttles count by (``throttling.client_address``).
    address: str = ""

    @classmethod
    def from_request(cls, request) -> "Actor":
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        django_request = getattr(request, "_request", request)
        return cls(
            user=user,
            sessions=TalkSessionMap(getattr(django_request, "session", None), tab=tab_id(django_request)),
            address=client_address(request),
        )

    @property
    def is_user(self) -> bool:
        return self.user is not None

    @property
    def user_id(self) -> str | None:
        return self.user.get_username() if self.user is not None else None

    def owns(self, attendee: Attendee, token: str) -> bool:
        """Return whether ``attendee`` is this actor (users by id, guests by the stored guest id)."""
        if self.is_user:
            return attendee.actor_type == ActorType.USERS and attendee.actor_id == self.user_id
        if attendee.actor_type not in GUEST_ACTOR_TYPES:
            return False
        return attendee.actor_id == self.sessions.guest_id(token)


@dataclass
class Participant:
    """An attendee of a room as seen by one request, with the caller's Talk session if any."""

    room: Room
    attendee: Attendee
    session: Session | None = None

    @property
    def is_moderator(self) -> bool:
        return self.attendee.participant_type in MODERATOR_TYPES

    @property
    def is_guest(self) -> bool:
        return self.attendee.participant_type in GUEST_TYPES

    @property
    def permissions(self) -> int:
        return self.attendee.effective_permissions(self.room)

    def has_permission(self, flag: Permission) -> bool:
        return bool(self.permissions & flag)

    def can_start_call(self) -> bool:
        """Return whether this participant may start a call (reference section 3.9)."""
        return can_start_call(self)


def is_guest_user(user) -> bool:
    name = app_settings.GUEST_USERS_GROUP
    return bool(name) and hasattr(user, "groups") and user.groups.filter(name=name).exists()


def listable_filter(user) -> Q:
    """Return the room filter of rooms listable to ``user``."""
    if is_guest_user(user):
        return Q(listable=Listable.ALL)
    return Q(listable__in=(Listable.USERS, Listable.ALL))


def user_in_groups(user, names) -> bool:
    if not hasattr(user, "groups"):
        return False  # a user model without auth groups is in no group
    return Group.objects.filter(user=user, name__in=list(names)).exists()


def _in_start_calls_groups(participant: Participant) -> bool:
    """Return whether ``START_CALLS_GROUPS`` lets the participant start calls (no groups: everyone)."""
    groups = app_settings.START_CALLS_GROUPS
    if not groups:
        return True
    attendee = participant.attendee
    if attendee.actor_type != ActorType.USERS or attendee.user_id is None:
        return False
    return user_in_groups(attendee.user, groups)


#: Who may start calls under each ``START_CALLS`` policy (DISABLED: nobody).
START_CALLS_POLICIES = {
    StartCalls.EVERYONE: lambda participant: True,
    StartCalls.USERS: lambda participant: not (participant.is_guest and not participant.is_moderator),
    StartCalls.MODERATORS: lambda participant: participant.is_moderator,
}


def can_start_call(participant: Participant) -> bool:
    """Apply ``Participant::canStartCall`` with this instance's settings."""
    if participant.room.type == RoomType.NOTE_TO_SELF:
        return False
    policy = START_CALLS_POLICIES.get(app_settings.START_CALLS)
    if policy is None or not participant.has_permission(Permission.CALL_START):
        return False
    return _in_start_calls_groups(participant) and policy(participant)


#: Why a policy of ``START_CALLS`` refuses a participant (``start_call_refusal``).
START_CALLS_REFUSALS = {
    StartCalls.USERS: "Only logged-in users can start a call on this server",
    StartCalls.MODERATORS: "Only moderators can start a call on this server",
    StartCalls.DISABLED: "Calls are disabled on this server",
}


def start_call_refusal(participant: Participant) -> str:
    """Return why ``participant`` may not start a call (the 403 message; see ``can_start_call``)."""
    if participant.room.type == RoomType.NOTE_TO_SELF:
        return "Calls cannot be started in a note to self"
    policy = START_CALLS_POLICIES.get(app_settings.START_CALLS)
    if policy is None:
        return START_CALLS_REFUSALS[StartCalls.DISABLED]
    if not participant.has_permission(Permission.CALL_START):
        return "Your permissions in this conversation do not allow starting a call"
    if not _in_start_calls_groups(participant):
        return "Only members of the groups allowed to start calls can start a call"
    return START_CALLS_REFUSALS.get(app_settings.START_CALLS, "You may not start a call in this conversation")


def find_room(token: str, actor: Actor) -> Room:
    """Return the room ``token`` if ``actor`` may see it: public rooms, own rooms, listable rooms."""
    room = Room.objects.filter(token=token).first()
    if room is None:
        raise RoomNotFound()
    if room.type == RoomType.PUBLIC:
        return room
    if actor.is_user:
        if Attendee.objects.filter(room=room, actor_type=ActorType.USERS, actor_id=actor.user_id).exists():
            return room
        if room.type in GROUP_TYPES and Room.objects.filter(listable_filter(actor.user), pk=room.pk).exists():
            return room
    raise RoomNotFound()


def find_participant(token: str, actor: Actor, *, require_session: bool = False) -> Participant:
    """Return the caller's participant in room ``token``, or raise 404 (reference section 4.3).

    The Talk session comes from the caller's own Django session only; a user with no
    session mapped for this room is still a participant (``session`` is None) unless
    ``require_session`` is set.
    """
    session_id = actor.sessions.session_id(token)
    if session_id:
        session = _session_with_participant(session_id, token)
        if session is not None and actor.owns(session.attendee, token):
            attendee = session.attendee
            attendee.room = session.room
            return Participant(room=session.room, attendee=attendee, session=session)
    if actor.is_user and not require_session:
        own = (
            Attendee.objects.select_related("room", "user")
            .filter(room__token=token, actor_type=ActorType.USERS, actor_id=actor.user_id)
            .first()
        )
        if own is not None:
            return Participant(room=own.room, attendee=own, session=None)
    if not Room.objects.filter(token=token).exists():
        raise RoomNotFound()
    raise ParticipantNotFound()


#: The columns of ``_session_with_participant``: session, attendee, room, the attendee's user.
_PARTICIPANT_COLUMNS = (
    ModelColumns(Session, "s"),
    ModelColumns(Attendee, "a"),
    ModelColumns(Room, "r"),
)


@functools.cache
def _user_columns(model) -> ModelColumns:
    return ModelColumns(model, "u")


def _session_with_participant(session_id: str, token: str) -> Session | None:
    """Return the Talk session ``session_id`` of room ``token`` with its attendee, room and
    the attendee's user loaded (one query, as ``select_related`` would give them), or None.

    Written in SQL: every request of a Talk client runs it, and compiling the ORM query
    cost more CPU than the rest of a ``GET /call`` (docs/PERFORMANCE.md).
    """
    connection = connections[router.db_for_read(Session)]
    session_columns, attendee_columns, room_columns = _PARTICIPANT_COLUMNS
    user_model = Attendee._meta.get_field("user").related_model
    user_columns = _user_columns(user_model)
    quote = connection.ops.quote_name
    table = {model: quote(model._meta.db_table) for model in (Session, Attendee, Room, user_model)}
    pk = {model: quote(pk_column(model)) for model in (Attendee, Room, user_model)}
    selected = ", ".join(columns.select(connection) for columns in (*_PARTICIPANT_COLUMNS, user_columns))
    sql = (
        f"SELECT {selected} FROM {table[Session]} s"
        f" INNER JOIN {table[Attendee]} a ON a.{pk[Attendee]} = s.{quote('attendee_id')}"
        f" INNER JOIN {table[Room]} r ON r.{pk[Room]} = s.{quote('room_id')}"
        f" LEFT OUTER JOIN {table[user_model]} u ON u.{pk[user_model]} = a.{quote('user_id')}"
        f" WHERE s.{quote('session_id')} = %s AND r.{quote('token')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id, token])
        row = cursor.fetchone()
    if row is None:
        return None
    start = 0
    instances = []
    for columns in _PARTICIPANT_COLUMNS:
        instances.append(columns.instance(row, start, connection))
        start += len(columns)
    session, attendee, room = instances
    user = user_columns.instance(row, start, connection) if attendee.user_id is not None else None
    Attendee._meta.get_field("user").set_cached_value(attendee, user)
    attendee.room = room
    session.attendee, session.room = attendee, room
    return session


def is_held_in_lobby(participant: Participant, now=None) -> bool:
    """Return whether the lobby holds this participant (an expired timer counts as open)."""
    if not participant.room.lobby_active(now):
        return False
    return not (participant.is_moderator or participant.has_permission(Permission.LOBBY_IGNORE))


def find_attendee(room: Room, attendee_id: int, error: str | None = None) -> Attendee:
    """Return the attendee ``attendee_id`` of ``room``; raise ``NotFound(error)`` when there is none."""
    attendee = Attendee.objects.select_related("user").filter(pk=attendee_id, room=room).first()
    if attendee is None:
        raise NotFound(error, "No attendee with this id in this conversation")
    return attendee


def rooms_for_user(actor: Actor, *, modified_since: int = 0, include_status: bool = False) -> list[Participant]:
    """Return a ``Participant`` per room of the logged-in ``actor`` (two queries at most).

    Each carries the actor's own Talk session of that room, if the Django session holds
    one. With ``modified_since``, only rooms active since then (and one-to-one rooms when
    ``include_status`` is set) are returned.
    """
    attendees = list(
        Attendee.objects.filter(actor_type=ActorType.USERS, actor_id=actor.user_id)
        .select_related("room", "user")
        .order_by("room_id")
    )
    session_ids = [value for value in actor.sessions.session_ids().values() if isinstance(value, str)]
    sessions = {}
    if session_ids:
        sessions = {
            s.attendee_id: s for s in Session.objects.filter(session_id__in=session_ids, attendee__in=attendees)
        }
    result = []
    for attendee in attendees:
        room = attendee.room
        if modified_since and not (
            (include_status and room.type == RoomType.ONE_TO_ONE) or room.last_activity.timestamp() >= modified_since
        ):
            continue
        result.append(Participant(room=room, attendee=attendee, session=sessions.get(attendee.pk)))
    return result


def listed_attendees(room: Room, *, pks=None) -> list[Attendee]:
    """Return the attendees of ``room`` (or those with primary keys ``pks``) for the participant
    list, in two queries: users joined in, ``live_sessions`` prefetched (sessions younger than
    the kill timeout). Skip ``users`` attendees whose account is gone and who have no stored
    name, and plain guests without a live session (reference 5.3)."""
    queryset = Attendee.objects.filter(room=room)
    if pks is not None:
        queryset = queryset.filter(pk__in=pks)
    queryset = queryset.select_related("user").prefetch_related(
        Prefetch(
            "sessions",
            queryset=Session.objects.filter(last_ping__gte=kill_cutoff()).order_by("id"),
            to_attr="live_sessions",
        )
    )
    return [attendee for attendee in queryset if _listed(attendee, attendee.live_sessions)]


def _listed(attendee: Attendee, live_sessions: list[Session]) -> bool:
    if attendee.actor_type == ActorType.USERS:
        return attendee.user_id is not None or bool(attendee.display_name)
    if attendee.participant_type == ParticipantType.GUEST and attendee.permissions in (0, Permission.CUSTOM):
        # Plain guests are kept for their chat name only; listed while they have a session.
        return bool(live_sessions)
    return True
