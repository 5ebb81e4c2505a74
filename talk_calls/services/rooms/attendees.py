"""Attendees of a room: adding, listing, removing, leaving, moderators and attendee
permissions (reference section 5.1)."""

import re
import secrets
from collections.abc import Callable

from django.contrib.auth.models import Group
from django.db import transaction

from ... import signals
from ...constants import (
    COLLECTIVE_ACTOR_TYPES,
    FIXED_MEMBERSHIP_TYPES,
    MEMBER_USER_TYPES,
    MODERATOR_TYPES,
    ONE_TO_ONE_TYPES,
    PERMISSIONS_MAX_CUSTOM,
    USER_MODERATOR_TYPES,
    ActorType,
    ParticipantType,
    Permission,
    PermissionMethod,
    RoomType,
)
from ...exceptions import BadRequest, ForbiddenError, NotFound, NotImplementedError_
from ...models import Attendee, Room, Session, kill_cutoff, user_by_username
from ..calls import disconnect, end_call_if_empty
from ..events import participants_changed, permissions_changed, room_session_ids, send_on_commit
from ..locking import lock_attendee, lock_room
from ..membership import add_group, add_user
from ..sessions import expire_stale_sessions
from .create import delete_room

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
PERMISSIONS_RANGE = f"permissions must be between 0 and {PERMISSIONS_MAX_CUSTOM}"
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,32}$")


def add_participant(room: Room, *, source: str, new_participant: str) -> list[Attendee]:
    """Add a user, a group's members or a phone number (reference addParticipantToRoom); return
    the attendees added (``attendees_added`` on commit).

    Raise ``BadRequest("room-type")`` for one-to-one, former and note-to-self rooms,
    ``BadRequest("new-participant")`` for teams (circles; as the reference without the
    teams app), 501 ``federation`` for federated users (no federation here),
    ``BadRequest("source")`` for any other unknown source, ``NotFound("new-participant")``
    for an unknown user or group and ``BadRequest("new-participant")`` for a malformed number.
    Phones (CONTRACT section 8): actorType ``phones``, a random actor id, the number as
    display name, allowed whatever the SIP configuration.
    """
    if room.type in FIXED_MEMBERSHIP_TYPES:
        raise BadRequest("room-type", "One-to-one conversations and notes to self have a fixed list of participants")
    if source in (ActorType.CIRCLES, "teams"):
        raise BadRequest("new-participant", "Teams cannot be added: this server has no teams")
    if source == ActorType.FEDERATED_USERS:
        raise NotImplementedError_("federation", "Federated users cannot be added: this server has no federation")
    if source not in _ADD_BY_SOURCE:
        raise BadRequest("source", f"source must be one of {', '.join(sorted(_ADD_BY_SOURCE))}")
    with transaction.atomic():
        lock_room(room)
        added = _ADD_BY_SOURCE[source](room, new_participant)
        participants_changed(room, room_session_ids(room))
        send_on_commit(signals.attendees_added, room, attendees=added)
    return added


def _add_user_named(room: Room, username: str) -> list[Attendee]:
    user = user_by_username(username)
    if user is None:
        raise NotFound("new-participant", f"No user named {username!r}")
    return [add_user(room, user)[0]]


def _add_group_named(room: Room, name: str) -> list[Attendee]:
    group = Group.objects.filter(name=name).first() if name else None
    if group is None:
        raise NotFound("new-participant", f"No group named {name!r}")
    return add_group(room, group)


def _add_phone(room: Room, number: str) -> list[Attendee]:
    number = number.strip()
    if not _PHONE_RE.match(number) or sum(c.isdigit() for c in number) < 3:
        raise BadRequest("new-participant", "newParticipant is not a phone number")
    attendee = Attendee.objects.create(
        room=room,
        actor_type=ActorType.PHONES,
        actor_id=secrets.token_hex(20),
        display_name=number,
        phone_number=number,
        participant_type=ParticipantType.USER,
    )
    return [attendee]


#: How ``add_participant`` adds each source it serves.
_ADD_BY_SOURCE: dict[str, Callable[[Room, str], list[Attendee]]] = {
    ActorType.USERS: _add_user_named,
    ActorType.GROUPS: _add_group_named,
    ActorType.PHONES: _add_phone,
}


def expire_stale_sessions_of(room: Room) -> int:
    """Remove the room's sessions past the kill timeout through the leave path (reference
    section 4.5); one EXISTS query when there are none. Return how many were removed."""
    if not Session.objects.filter(room=room, last_ping__lt=kill_cutoff()).exists():
        return 0
    return expire_stale_sessions(room=room)


def remove_attendee(room: Room, attendee: Attendee) -> None:
    """Remove ``attendee`` and its sessions from ``room``: out of the call first (``call_left``),
    then the call ends (system actor) if nobody fresh is left. Locks the room."""
    with transaction.atomic():
        room = lock_room(room)
        sessions = list(Session.objects.filter(attendee=attendee))
        for session in sessions:
            disconnect(room, attendee, session)
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
        lock_room(room)
        attendee = lock_attendee(attendee)
        if (
            room.type not in ONE_TO_ONE_TYPES
            and attendee.participant_type in USER_MODERATOR_TYPES
            and _count_users(room) > 1
            and Attendee.objects.filter(room=room).moderators().count() == 1
        ):
            raise BadRequest(
                "last-moderator", "You are the last moderator of this conversation: promote someone else first"
            )
        if (
            room.type != RoomType.CHANGELOG
            and attendee.participant_type in MEMBER_USER_TYPES
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
    if room.type in ONE_TO_ONE_TYPES:
        raise BadRequest("room-type", "Nobody can be removed from a one-to-one conversation")
    if target.pk == caller.pk:
        leave_room_for_good(room, caller)
        return
    with transaction.atomic():
        lock_room(room)
        target = lock_attendee(target, "participant")
        if target.participant_type == ParticipantType.OWNER:
            raise ForbiddenError("owner", "The owner of a conversation cannot be removed")
        remove_attendee(room, target)


def _change_type(room: Room, attendee: Attendee, mapping: dict, caller: Attendee | None, refusal: str) -> None:
    if caller is not None and attendee.pk == caller.pk:
        raise ForbiddenError(None, "You cannot change your own moderator rights")
    with transaction.atomic():
        lock_room(room)
        current = lock_attendee(attendee)
        new_type = mapping.get(current.participant_type)
        if new_type is None or current.actor_type in COLLECTIVE_ACTOR_TYPES:
            raise BadRequest(None, refusal)
        fields = {"participant_type": new_type}
        if mapping is _PROMOTE:
            fields["permissions"] = 0
        Attendee.objects.filter(pk=attendee.pk).update(**fields)
        for name, value in fields.items():
            setattr(attendee, name, value)
        permissions_changed(room, Session.objects.filter(attendee=attendee).values_list("session_id", flat=True))


def promote_moderator(room: Room, attendee: Attendee, *, caller: Attendee | None = None) -> None:
    """Make a user (3, 5) a moderator (2) or a guest (4) a guest moderator (6); reset custom
    permissions. Raise ``ForbiddenError()`` when ``caller`` names itself, ``BadRequest()``
    for owners, moderators, groups and circles."""
    _change_type(room, attendee, _PROMOTE, caller, "Only users and guests who are not moderators can be promoted")


def demote_moderator(room: Room, attendee: Attendee, *, caller: Attendee | None = None) -> None:
    """Make a moderator (2) a user (3) or a guest moderator (6) a guest (4); ``ForbiddenError()``
    when ``caller`` names itself, ``BadRequest()`` otherwise."""
    _change_type(room, attendee, _DEMOTE, caller, "Only moderators and guest moderators can be demoted")


def set_attendee_permissions(room: Room, target: Attendee, *, method: str, permissions: int) -> None:
    """Change one attendee's permissions (reference section 5.1, "Attendee permissions").

    ``set`` stores the value (CUSTOM added unless 0); ``add``/``remove`` work on the
    effective permissions. A self-joined user becomes a plain user. Raise
    ``BadRequest("room-type")``, ``ForbiddenError("moderator")``, ``BadRequest("type")``
    (groups, circles), ``BadRequest("method")`` or ``BadRequest("value")``.
    """
    with transaction.atomic():
        lock_room(room)
        target = lock_attendee(target, "participant")
        # Checked under the locks: a concurrent promotion must not be overwritten.
        if room.type in FIXED_MEMBERSHIP_TYPES:
            raise BadRequest("room-type", "Permissions cannot be changed in one-to-one conversations and notes to self")
        if target.participant_type in MODERATOR_TYPES:
            raise ForbiddenError("moderator", "Moderators always have every permission")
        if target.actor_type in COLLECTIVE_ACTOR_TYPES:
            raise BadRequest("type", "Groups and teams have no permissions of their own")
        if method not in PermissionMethod.values:
            raise BadRequest("method", f"method must be one of {', '.join(PermissionMethod.values)}")
        if not 0 <= permissions <= PERMISSIONS_MAX_CUSTOM:
            raise BadRequest("value", PERMISSIONS_RANGE)
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
        raise BadRequest("type", "One-to-one conversations and notes to self have no default permissions")
    if not 0 <= permissions <= PERMISSIONS_MAX_CUSTOM:
        raise BadRequest("value", PERMISSIONS_RANGE)
    value = int(permissions | Permission.CUSTOM) if permissions else 0
    with transaction.atomic():
        lock_room(room)
        Room.objects.filter(pk=room.pk).update(default_permissions=value)
        room.default_permissions = value
        Attendee.objects.filter(room=room).update(permissions=0)
        permissions_changed(room, room_session_ids(room))
