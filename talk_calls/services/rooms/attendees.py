"""Attendees of a room: adding, listing, removing, leaving, moderators and attendee
permissions (reference section 5.1)."""

import re
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Prefetch

from ... import signals
from ...constants import (
    MODERATOR_TYPES,
    PERMISSIONS_MAX_CUSTOM,
    ActorType,
    ParticipantType,
    Permission,
    PermissionMethod,
    RoomType,
)
from ...exceptions import BadRequest, ForbiddenError, NotFound, NotImplementedError_
from ...models import Attendee, Room, Session, kill_cutoff
from ..calls import _disconnect, end_call_if_empty
from ..events import participants_changed, permissions_changed, send_on_commit
from ..sessions import expire_stale_sessions
from .base import FIXED_MEMBERSHIP_TYPES, lock, lock_attendee, room_session_ids
from .create import _add_group, _add_user, delete_room

_PROMOTE = {
    ParticipantType.USER: ParticipantType.MODERATOR,
    ParticipantType.USER_SELF_JOINED: ParticipantType.MODERATOR,
    ParticipantType.GUEST: ParticipantType.GUEST_MODERATOR,
}
_DEMOTE = {
    ParticipantType.MODERATOR: ParticipantType.USER,
    ParticipantType.GUEST_MODERATOR: ParticipantType.GUEST,
}

#: A phone number: optional "+", digits, and the usual separators; 3 to 20 digits.
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,32}$")


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
        lock(room)
        if source == ActorType.USERS:
            user = User.objects.filter(**{User.USERNAME_FIELD: new_participant}).first() if new_participant else None
            if user is None:
                raise NotFound("new-participant")
            attendee = _add_user(room, user)[0]
        elif source == ActorType.GROUPS:
            group = Group.objects.filter(name=new_participant).first() if new_participant else None
            if group is None:
                raise NotFound("new-participant")
            added = _add_group(room, group)
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
        participants_changed(room, room_session_ids(room))
        send_on_commit(signals.attendees_added, room, attendees=[attendee] if attendee else added)
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
        room = lock(room)
        sessions = list(Session.objects.filter(attendee=attendee))
        for session in sessions:
            _disconnect(room, attendee, session)
        Attendee.objects.filter(pk=attendee.pk).delete()
        end_call_if_empty(room)
        session_ids = [s.session_id for s in sessions]
        participants_changed(room, session_ids)
        send_on_commit(signals.attendees_removed, room, attendees=[attendee], session_ids=session_ids)


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
        lock(room)
        attendee = lock_attendee(attendee)
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
        lock(room)
        target = lock_attendee(target, "participant")
        if target.participant_type == ParticipantType.OWNER:
            raise ForbiddenError("owner")
        remove_attendee(room, target)


def _change_type(room: Room, attendee: Attendee, mapping: dict) -> None:
    with transaction.atomic():
        lock(room)
        current = lock_attendee(attendee)
        new_type = mapping.get(current.participant_type)
        if new_type is None or current.actor_type in (ActorType.GROUPS, ActorType.CIRCLES):
            raise BadRequest()
        fields = {"participant_type": new_type}
        if mapping is _PROMOTE:
            fields["permissions"] = 0
        Attendee.objects.filter(pk=attendee.pk).update(**fields)
        for name, value in fields.items():
            setattr(attendee, name, value)
        permissions_changed(room, Session.objects.filter(attendee=attendee).values_list("session_id", flat=True))


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
    with transaction.atomic():
        lock(room)
        target = lock_attendee(target, "participant")
        # Checked under the locks: a concurrent promotion must not be overwritten.
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
        permissions_changed(room, room_session_ids(room, [target]))


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
        lock(room)
        Room.objects.filter(pk=room.pk).update(default_permissions=value)
        room.default_permissions = value
        Attendee.objects.filter(room=room).update(permissions=0)
        permissions_changed(room, room_session_ids(room))
