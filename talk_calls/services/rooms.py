"""Conversation changes around calls: rooms, attendees, moderators, room settings
(reference section 5).

Every function takes the room lock first (``calls.lock_room``), then works on attendee
and session rows, and announces changes on commit (``participants_changed``). Functions
raise the endpoint errors of the reference (``BadRequest("type")``, ...); views only
parse parameters and serialize. Call side effects go through the call services:
enabling the lobby disconnects non-moderators, read-only ends the call for everyone.
"""

import json
import re
import secrets
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from ..access import Participant
from ..conf import app_settings
from ..constants import (
    GUEST_TYPES,
    MODERATOR_TYPES,
    PERMISSIONS_MAX_CUSTOM,
    RESERVED_TOKENS,
    ROOM_NAME_MAX_LENGTH,
    TOKEN_ALPHABET,
    TOKEN_MIN_LENGTH,
    ActorType,
    InCallFlag,
    Listable,
    LobbyState,
    ParticipantType,
    Permission,
    PermissionMethod,
    ReadOnly,
    RoomType,
    SessionState,
)
from ..constants import RecordingConsent as RecordingConsentSetting
from ..exceptions import BadRequest, ForbiddenError, NotFound, NotImplementedError_, PreconditionFailed, RoomNotFound
from ..models import Attendee, Room, Session, kill_cutoff
from ..models import user_display_name as full_display_name
from .calls import _disconnect, end_call_for_everyone, end_call_if_empty, lock_room
from .events import participants_changed
from .sessions import expire_stale_sessions

_PROMOTE = {
    ParticipantType.USER: ParticipantType.MODERATOR,
    ParticipantType.USER_SELF_JOINED: ParticipantType.MODERATOR,
    ParticipantType.GUEST: ParticipantType.GUEST_MODERATOR,
}
_DEMOTE = {
    ParticipantType.MODERATOR: ParticipantType.USER,
    ParticipantType.GUEST_MODERATOR: ParticipantType.GUEST,
}

#: Room types whose attendee list is fixed (reference: 400 "room-type" on add/remove/permissions).
FIXED_MEMBERSHIP_TYPES = (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE, RoomType.NOTE_TO_SELF)
#: A phone number: optional "+", digits, and the usual separators; 3 to 20 digits.
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,32}$")


def _lock(room: Room) -> Room:
    """Take the room row lock (``calls.lock_room``); raise ``RoomNotFound`` (404) when the room
    was deleted after the caller's participant was found."""
    try:
        return lock_room(room)
    except Room.DoesNotExist:
        raise RoomNotFound() from None


def _lock_attendee(attendee: Attendee, error: str | None = None) -> Attendee:
    """Return ``attendee`` re-read with a row lock (room lock held); ``NotFound(error)`` when it was removed."""
    locked = Attendee.objects.select_for_update().filter(pk=attendee.pk).first()
    if locked is None:
        raise NotFound(error)
    return locked


def _touch(room: Room, now=None) -> None:
    now = now or timezone.now()
    Room.objects.filter(pk=room.pk).update(last_activity=now)
    room.last_activity = now


def _session_ids(room: Room, attendees=None) -> list[str]:
    sessions = Session.objects.filter(room=room)
    if attendees is not None:
        sessions = sessions.filter(attendee__in=attendees)
    return list(sessions.values_list("session_id", flat=True))


#: Length of ``Attendee.display_name``: a full name may be longer (150 + 1 + 150 characters).
DISPLAY_NAME_MAX_LENGTH = Attendee._meta.get_field("display_name").max_length


def user_display_name(user) -> str:
    """Return the user's display name as an attendee stores it: cut to the column length, and
    the username for user models without names (``AbstractBaseUser``)."""
    return full_display_name(user)[:DISPLAY_NAME_MAX_LENGTH]


# --- rooms -------------------------------------------------------------------------------


def new_token() -> str:
    """Return an unused room token (reference section 7.18): 8+ characters, no ``l``, ``0``, ``1``."""
    length = TOKEN_MIN_LENGTH
    for attempt in range(1, 1000):
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))
        if token not in RESERVED_TOKENS and not Room.objects.filter(token=token).exists():
            return token
        if attempt % 100 == 0:
            length += 1
    raise RuntimeError("Could not generate a unique room token")  # pragma: no cover


def one_to_one_name(user_a: str, user_b: str) -> str:
    return json.dumps(sorted([user_a, user_b]))


def one_to_one_user_ids(room: Room) -> list[str]:
    """Return the two user ids stored in a one-to-one room's name (empty if it is not one)."""
    try:
        value = json.loads(room.name)
    except (TypeError, ValueError):
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


def _add_user(room: Room, user, participant_type=ParticipantType.USER) -> tuple[Attendee, bool]:
    """Add ``user`` to ``room`` (a self-joined user becomes a plain user); return it and whether it is new."""
    attendee, created = Attendee.objects.get_or_create(
        room=room,
        actor_type=ActorType.USERS,
        actor_id=user.get_username(),
        defaults={"participant_type": participant_type, "user": user, "display_name": user_display_name(user)},
    )
    if not created and attendee.participant_type == ParticipantType.USER_SELF_JOINED:
        Attendee.objects.filter(pk=attendee.pk).update(participant_type=ParticipantType.USER)
        attendee.participant_type = ParticipantType.USER
    return attendee, created


def _add_group(room: Room, group: Group) -> list[Attendee]:
    """Add the group as a ``groups`` attendee and each member as a user (reference addGroup)."""
    Attendee.objects.get_or_create(
        room=room,
        actor_type=ActorType.GROUPS,
        actor_id=group.name,
        defaults={"participant_type": ParticipantType.USER, "display_name": group.name},
    )
    return [_add_user(room, member)[0] for member in group.user_set.all()]


def readd_one_to_one_partners(room: Room) -> list[Attendee]:
    """Re-add a one-to-one room's missing user as OWNER (reference section 3.2 step 4); return the new attendees.

    Does nothing for other room types, or for a partner whose account no longer exists.
    """
    if room.type != RoomType.ONE_TO_ONE:
        return []
    user_ids = one_to_one_user_ids(room)
    present = set(
        Attendee.objects.filter(room=room, actor_type=ActorType.USERS, actor_id__in=user_ids).values_list(
            "actor_id", flat=True
        )
    )
    missing = [user_id for user_id in user_ids if user_id not in present]
    if not missing:
        return []
    User = get_user_model()
    added = []
    with transaction.atomic():
        for user in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": missing}):
            attendee, created = _add_user(room, user, ParticipantType.OWNER)
            if created:
                added.append(attendee)
        if added:
            participants_changed(room, [])
    return added


def _create(room_type: int, name: str, owner, **fields) -> tuple[Room, Attendee]:
    for _ in range(5):
        try:
            with transaction.atomic():
                room = Room.objects.create(token=new_token(), type=room_type, name=name, **fields)
                attendee, _ = _add_user(room, owner, ParticipantType.OWNER)
                return room, attendee
        except IntegrityError:  # pragma: no cover - token race
            continue
    raise RuntimeError("Could not create the room")  # pragma: no cover


def create_one_to_one(owner, invite: str) -> tuple[Room, Attendee, bool]:
    """Return the one-to-one room of ``owner`` and user ``invite`` and whether it was created.

    Raise ``ForbiddenError("invite")`` for a room with oneself and ``NotFound("invite")``
    for an unknown user. An existing room gets its missing partner back. Locks both user
    rows, so parallel requests for the same pair find one room.
    """
    me = owner.get_username()
    if invite == me:
        raise ForbiddenError("invite")
    User = get_user_model()
    other = User.objects.filter(**{User.USERNAME_FIELD: invite}).first()
    if other is None or not invite:
        raise NotFound("invite")
    name = one_to_one_name(me, invite)
    with transaction.atomic():
        # Lock both users (in pk order) so two parallel requests cannot create two rooms.
        list(User.objects.select_for_update().filter(pk__in=[owner.pk, other.pk]).order_by("pk"))
        room = Room.objects.filter(type=RoomType.ONE_TO_ONE, name=name).first()
        if room is not None:
            readd_one_to_one_partners(room)
            attendee = Attendee.objects.get(room=room, actor_type=ActorType.USERS, actor_id=me)
            return room, attendee, False
        room, attendee = _create(RoomType.ONE_TO_ONE, name, owner)
        _add_user(room, other, ParticipantType.OWNER)
    return room, attendee, True


def create_room(owner, *, room_type: int, name: str, invite_users=(), invite_groups=(), **fields) -> tuple:
    """Create a group or public room with ``owner`` as OWNER and invite users and groups.

    ``fields`` are validated Room fields (read_only, listable, lobby_state, ...); a
    non-zero ``default_permissions`` gets the CUSTOM bit. Return ``(room, attendee,
    invalid)`` where ``invalid`` maps a source to the ids that could not be added.
    """
    if fields.get("default_permissions"):
        fields["default_permissions"] |= int(Permission.CUSTOM)
    User = get_user_model()
    users = {u.get_username(): u for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": list(invite_users)})}
    groups = {g.name: g for g in Group.objects.filter(name__in=list(invite_groups))}
    invalid = {}
    if missing := [u for u in invite_users if u not in users]:
        invalid["users"] = missing
    if missing := [g for g in invite_groups if g not in groups]:
        invalid["groups"] = missing
    with transaction.atomic():
        room, attendee = _create(room_type, name, owner, **fields)
        for user in users.values():
            _add_user(room, user)
        for group in groups.values():
            _add_group(room, group)
    return room, attendee, invalid


def rooms_for_user(actor, *, modified_since: int = 0, include_status: bool = False) -> list:
    """Return a ``Participant`` per room of the logged-in ``actor`` (three queries).

    Each carries the actor's own Talk session of that room, if the Django session holds
    one. Expired lobby timers are opened on the way (reference section 7.9). With
    ``modified_since``, only rooms active since then (and one-to-one rooms when
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
        room.open_expired_lobby()
        if modified_since and not (
            (include_status and room.type == RoomType.ONE_TO_ONE) or room.last_activity.timestamp() >= modified_since
        ):
            continue
        result.append(Participant(room=room, attendee=attendee, session=sessions.get(attendee.pk)))
    return result


def rename_room(room: Room, name: str) -> None:
    """Set the name; raise ``BadRequest("type")`` for one-to-one rooms, ``BadRequest("value")`` for a bad name."""
    if room.type in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE):
        raise BadRequest("type")
    name = name.strip()
    if not name or len(name) > ROOM_NAME_MAX_LENGTH:
        raise BadRequest("value")
    with transaction.atomic():
        _lock(room)
        Room.objects.filter(pk=room.pk).update(name=name)
        room.name = name
        _touch(room)


def delete_room(room: Room, *, attendee: Attendee | None = None) -> None:
    """End a running call for everyone, then delete the room with its attendees and sessions."""
    with transaction.atomic():
        _lock(room)
        end_call_for_everyone(room, attendee=attendee)
        participants_changed(room, _session_ids(room))
        Room.objects.filter(pk=room.pk).delete()


# --- attendees ---------------------------------------------------------------------------


def add_participant(room: Room, *, source: str, new_participant: str) -> Attendee | None:
    """Add a user, a group's members or a phone number (reference addParticipantToRoom).

    Raise ``BadRequest("room-type")`` for one-to-one, former and note-to-self rooms,
    ``BadRequest("new-participant")`` for teams (circles; as the reference without the
    teams app), 501 ``federation`` for federated users (no federation here),
    ``BadRequest("source")`` for any other unknown source, ``NotFound("new-participant")``
    for an unknown user or group and ``BadRequest("new-participant")`` for a malformed number.
    Phones (CONTRACT section 8): actorType ``phones``, a random actor id, the number as
    display name, allowed whatever the SIP configuration.
    """
    if room.type in FIXED_MEMBERSHIP_TYPES:
        raise BadRequest("room-type")
    if source in (ActorType.CIRCLES, "teams"):
        raise BadRequest("new-participant")
    if source == ActorType.FEDERATED_USERS:
        raise NotImplementedError_("federation")
    if source not in (ActorType.USERS, ActorType.GROUPS, ActorType.PHONES):
        raise BadRequest("source")
    User = get_user_model()
    with transaction.atomic():
        _lock(room)
        if source == ActorType.USERS:
            user = User.objects.filter(**{User.USERNAME_FIELD: new_participant}).first() if new_participant else None
            if user is None:
                raise NotFound("new-participant")
            attendee = _add_user(room, user)[0]
        elif source == ActorType.GROUPS:
            group = Group.objects.filter(name=new_participant).first() if new_participant else None
            if group is None:
                raise NotFound("new-participant")
            _add_group(room, group)
            attendee = None
        else:
            number = new_participant.strip()
            if not _PHONE_RE.match(number) or sum(c.isdigit() for c in number) < 3:
                raise BadRequest("new-participant")
            attendee = Attendee.objects.create(
                room=room,
                actor_type=ActorType.PHONES,
                actor_id=secrets.token_hex(20),
                display_name=number,
                phone_number=number,
                participant_type=ParticipantType.USER,
            )
        participants_changed(room, _session_ids(room))
    return attendee


def expire_stale_sessions_of(room: Room) -> int:
    """Remove the room's sessions past the kill timeout through the leave path (reference
    section 4.5); one EXISTS query when there are none. Return how many were removed."""
    if not Session.objects.filter(room=room, last_ping__lt=kill_cutoff()).exists():
        return 0
    return expire_stale_sessions(room=room)


def listed_attendees(room: Room, *, attendees=None):
    """Return the attendees of ``room`` (or the ``attendees`` queryset) for the participant list:
    users joined in, ``live_sessions`` prefetched (sessions younger than the kill timeout).
    Skip ``users`` attendees whose account is gone and who have no stored name, and plain
    guests without a live session (reference 5.3)."""
    queryset = Attendee.objects.filter(room=room) if attendees is None else attendees
    queryset = queryset.select_related("user").prefetch_related(
        Prefetch(
            "sessions",
            queryset=Session.objects.filter(last_ping__gte=kill_cutoff()).order_by("id"),
            to_attr="live_sessions",
        )
    )
    return [attendee for attendee in queryset if _listed(attendee)]


def _listed(attendee: Attendee) -> bool:
    if attendee.actor_type == ActorType.USERS:
        return attendee.user_id is not None or bool(attendee.display_name)
    if attendee.participant_type == ParticipantType.GUEST and attendee.permissions in (0, Permission.CUSTOM):
        # Plain guests are kept for their chat name only; listed while they have a session.
        return bool(attendee.live_sessions)
    return True


def remove_attendee(room: Room, attendee: Attendee) -> None:
    """Remove ``attendee`` and its sessions from ``room``: out of the call first (``call_left``),
    then the call ends (system actor) if nobody fresh is left. Locks the room."""
    with transaction.atomic():
        room = _lock(room)
        sessions = list(Session.objects.filter(attendee=attendee))
        for session in sessions:
            _disconnect(room, attendee, session)
        Attendee.objects.filter(pk=attendee.pk).delete()
        end_call_if_empty(room)
        participants_changed(room, [s.session_id for s in sessions])


def _count_users(room: Room) -> int:
    return (
        Attendee.objects.filter(room=room, actor_type=ActorType.USERS)
        .exclude(participant_type=ParticipantType.USER_SELF_JOINED)
        .count()
    )


def leave_room_for_good(room: Room, attendee: Attendee) -> None:
    """Remove the caller from ``room`` (reference removeSelfFromRoom).

    Raise ``BadRequest("last-moderator")`` when the caller is the only moderator of a
    group or public room with other users. The last user of a room deletes it. Takes the
    room lock before counting, so two last moderators leaving at once cannot both pass.
    """
    with transaction.atomic():
        _lock(room)
        attendee = _lock_attendee(attendee)
        if room.type not in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE):
            if (
                attendee.participant_type in (ParticipantType.OWNER, ParticipantType.MODERATOR)
                and _count_users(room) > 1
                and Attendee.objects.filter(room=room).moderators().count() == 1
            ):
                raise BadRequest("last-moderator")
        if (
            room.type != RoomType.CHANGELOG
            and attendee.participant_type in (ParticipantType.USER, ParticipantType.MODERATOR, ParticipantType.OWNER)
            and _count_users(room) == 1
        ):
            delete_room(room, attendee=attendee)
            return
        remove_attendee(room, attendee)


def remove_other_attendee(room: Room, caller: Attendee, target: Attendee) -> None:
    """Remove ``target`` as moderator ``caller`` (reference removeAttendeeFromRoom).

    Raise ``BadRequest("room-type")`` in one-to-one rooms and ``ForbiddenError("owner")``
    for an owner (checked under the room lock); removing oneself is leaving
    (``leave_room_for_good``).
    """
    if room.type in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE):
        raise BadRequest("room-type")
    if target.pk == caller.pk:
        leave_room_for_good(room, caller)
        return
    with transaction.atomic():
        _lock(room)
        target = _lock_attendee(target, "participant")
        if target.participant_type == ParticipantType.OWNER:
            raise ForbiddenError("owner")
        remove_attendee(room, target)


def _change_type(room: Room, attendee: Attendee, mapping: dict) -> None:
    with transaction.atomic():
        _lock(room)
        current = _lock_attendee(attendee)
        new_type = mapping.get(current.participant_type)
        if new_type is None or current.actor_type in (ActorType.GROUPS, ActorType.CIRCLES):
            raise BadRequest()
        fields = {"participant_type": new_type}
        if mapping is _PROMOTE:
            fields["permissions"] = 0
        Attendee.objects.filter(pk=attendee.pk).update(**fields)
        for name, value in fields.items():
            setattr(attendee, name, value)
        participants_changed(room, Session.objects.filter(attendee=attendee).values_list("session_id", flat=True))


def promote_moderator(room: Room, attendee: Attendee) -> None:
    """Make a user (3, 5) a moderator (2) or a guest (4) a guest moderator (6); reset custom
    permissions. Raise ``BadRequest()`` for owners, moderators, groups and circles."""
    _change_type(room, attendee, _PROMOTE)


def demote_moderator(room: Room, attendee: Attendee) -> None:
    """Make a moderator (2) a user (3) or a guest moderator (6) a guest (4); ``BadRequest()`` otherwise."""
    _change_type(room, attendee, _DEMOTE)


def set_attendee_permissions(room: Room, target: Attendee, *, method: str, permissions: int) -> None:
    """Change one attendee's permissions (reference section 5.1, "Attendee permissions").

    ``set`` stores the value (CUSTOM added unless 0); ``add``/``remove`` work on the
    effective permissions. A self-joined user becomes a plain user. Raise
    ``BadRequest("room-type")``, ``ForbiddenError("moderator")``, ``BadRequest("type")``
    (groups, circles), ``BadRequest("method")`` or ``BadRequest("value")``.
    """
    if room.type in FIXED_MEMBERSHIP_TYPES:
        raise BadRequest("room-type")
    if target.participant_type in MODERATOR_TYPES:
        raise ForbiddenError("moderator")
    if target.actor_type in (ActorType.GROUPS, ActorType.CIRCLES):
        raise BadRequest("type")
    if method not in PermissionMethod.values:
        raise BadRequest("method")
    if not 0 <= permissions <= PERMISSIONS_MAX_CUSTOM:
        raise BadRequest("value")
    with transaction.atomic():
        _lock(room)
        target = _lock_attendee(target, "participant")
        if method == PermissionMethod.SET:
            value = permissions | Permission.CUSTOM if permissions else 0
        elif method == PermissionMethod.ADD:
            value = target.effective_permissions(room) | permissions | Permission.CUSTOM
        else:
            value = (target.effective_permissions(room) & ~permissions) | Permission.CUSTOM
        fields = {"permissions": int(value)}
        if target.participant_type == ParticipantType.USER_SELF_JOINED:
            fields["participant_type"] = ParticipantType.USER
        Attendee.objects.filter(pk=target.pk).update(**fields)
        participants_changed(room, _session_ids(room, [target]))


def set_default_permissions(room: Room, permissions: int) -> None:
    """Set the room default (CUSTOM added unless 0) and reset every attendee's own permissions.

    Raise ``BadRequest("type")`` for one-to-one, former and note-to-self rooms and
    ``BadRequest("value")`` outside 0..255.
    """
    if room.type in FIXED_MEMBERSHIP_TYPES:
        raise BadRequest("type")
    if not 0 <= permissions <= PERMISSIONS_MAX_CUSTOM:
        raise BadRequest("value")
    value = int(permissions | Permission.CUSTOM) if permissions else 0
    with transaction.atomic():
        _lock(room)
        Room.objects.filter(pk=room.pk).update(default_permissions=value)
        room.default_permissions = value
        Attendee.objects.filter(room=room).update(permissions=0)
        participants_changed(room, _session_ids(room))


# --- room settings -----------------------------------------------------------------------


def set_lobby(room: Room, *, state: int, timer: int | None = None, attendee: Attendee | None = None) -> None:
    """Set the lobby state and timer (a unix time, stored only when > 0).

    Enabling the lobby takes every non-moderator session out of the call (``call_left``),
    then ends the call if nobody fresh is left. Raise ``BadRequest("type")`` unless the
    room is a group or public room, ``BadRequest("value")`` for a bad state or timer.
    """
    if room.type not in (RoomType.GROUP, RoomType.PUBLIC):
        raise BadRequest("type")
    if state not in LobbyState.values:
        raise BadRequest("value")
    timer_at = None
    if timer is not None and timer > 0:
        try:
            timer_at = datetime.fromtimestamp(timer, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRequest("value")
    with transaction.atomic():
        room = _lock(room)
        Room.objects.filter(pk=room.pk).update(lobby_state=state, lobby_timer=timer_at)
        room.lobby_state, room.lobby_timer = state, timer_at
        _touch(room)
        if state == LobbyState.NON_MODERATORS:
            sessions = (
                Session.objects.filter(room=room)
                .in_call()
                .exclude(attendee__participant_type__in=MODERATOR_TYPES)
                .select_related("attendee")
            )
            for session in sessions:
                _disconnect(room, session.attendee, session)
            end_call_if_empty(room, attendee=attendee)
        participants_changed(room, _session_ids(room))


def set_read_only(room: Room, *, state: int, attendee: Attendee | None = None) -> None:
    """Set read-only; 1 ends the call for everyone (reference RoomService::setReadOnly).

    The current state is a no-op. Otherwise raise ``BadRequest("type")`` unless the room
    is a group, public or changelog room (a former one-to-one room may only be made
    read-only), then ``BadRequest("value")`` for a bad state.
    """
    with transaction.atomic():
        _lock(room)
        if state != room.read_only:
            former = room.type == RoomType.FORMER_ONE_TO_ONE and state == ReadOnly.READ_ONLY
            if room.type not in (RoomType.GROUP, RoomType.PUBLIC, RoomType.CHANGELOG) and not former:
                raise BadRequest("type")
            if state not in ReadOnly.values:
                raise BadRequest("value")
            Room.objects.filter(pk=room.pk).update(read_only=state)
            room.read_only = state
            _touch(room)
        if state == ReadOnly.READ_ONLY:
            end_call_for_everyone(room, attendee=attendee)


def set_listable(room: Room, *, state: int) -> None:
    """Set the listable scope (the current one is a no-op); ``BadRequest("type")`` unless
    group or public, then ``BadRequest("value")``."""
    if state == room.listable:
        return
    if room.type not in (RoomType.GROUP, RoomType.PUBLIC):
        raise BadRequest("type")
    if state not in Listable.values:
        raise BadRequest("value")
    with transaction.atomic():
        _lock(room)
        Room.objects.filter(pk=room.pk).update(listable=state)
        room.listable = state


def set_password(room: Room, password: str) -> None:
    """Set (or with '' remove) the password of a public room; ``BadRequest("type")`` otherwise."""
    if room.type != RoomType.PUBLIC:
        raise BadRequest("type")
    value = make_password(password) if password else ""
    with transaction.atomic():
        _lock(room)
        Room.objects.filter(pk=room.pk).update(password=value)
        room.password = value


def make_public(room: Room, *, password: str = "") -> None:
    """Turn a group room public (a public room stays public); ``BadRequest("type")`` otherwise."""
    if room.type not in (RoomType.GROUP, RoomType.PUBLIC):
        raise BadRequest("type")
    with transaction.atomic():
        _lock(room)
        Room.objects.filter(pk=room.pk).update(type=RoomType.PUBLIC)
        room.type = RoomType.PUBLIC
        if password:
            set_password(room, password)
        _touch(room)


def make_private(room: Room) -> None:
    """Turn a public room into a group room, removing guests, guest moderators and self-joined
    users through the leave path; ``BadRequest("type")`` for other rooms."""
    if room.type not in (RoomType.GROUP, RoomType.PUBLIC):
        raise BadRequest("type")
    with transaction.atomic():
        _lock(room)
        Room.objects.filter(pk=room.pk).update(type=RoomType.GROUP)
        room.type = RoomType.GROUP
        _touch(room)
        leaving = Attendee.objects.filter(
            room=room, participant_type__in=(*GUEST_TYPES, ParticipantType.USER_SELF_JOINED)
        )
        for attendee in list(leaving):
            remove_attendee(room, attendee)


def set_recording_consent(room: Room, value: int) -> None:
    """Set the room's recording-consent flag (CONTRACT section 8).

    Raise ``PreconditionFailed("config")`` while ``RECORDING_CONSENT`` is 0,
    ``BadRequest("value")`` for anything but 0/1 and ``BadRequest("call")`` when enabling
    it while a call runs.
    """
    if app_settings.RECORDING_CONSENT == RecordingConsentSetting.NOT_REQUIRED:
        raise PreconditionFailed("config")
    if value not in (0, 1):
        raise BadRequest("value")
    with transaction.atomic():
        _lock(room)
        if value == 1 and (room.active_since is not None or room.call_flag != InCallFlag.DISCONNECTED):
            raise BadRequest("call")
        Room.objects.filter(pk=room.pk).update(recording_consent=value)
        room.recording_consent = value


def set_session_state(session: Session, state: int) -> None:
    """Set a Talk session active (1) or inactive (0); ``BadRequest()`` otherwise."""
    if state not in SessionState.values:
        raise BadRequest()
    Session.objects.filter(pk=session.pk).update(state=state)
    session.state = state


def set_guest_name(room: Room, attendee: Attendee, name: str) -> None:
    """Store a guest's display name (reference GuestController::setDisplayName)."""
    name = name.strip()
    Attendee.objects.filter(pk=attendee.pk).update(display_name=name)
    attendee.display_name = name
    participants_changed(room, _session_ids(room, [attendee]))
