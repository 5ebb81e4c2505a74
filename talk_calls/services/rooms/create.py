"""Creating, listing, renaming and deleting rooms (reference section 5.1: create, get,
list, rename, delete), and one-to-one room membership."""

import json
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from ...access import Participant
from ...constants import (
    RESERVED_TOKENS,
    ROOM_NAME_MAX_LENGTH,
    TOKEN_ALPHABET,
    TOKEN_MIN_LENGTH,
    ActorType,
    ParticipantType,
    Permission,
    RoomType,
)
from ...exceptions import BadRequest, ForbiddenError, NotFound
from ...models import Attendee, Room, Session
from ..calls import end_call_for_everyone
from ..events import participants_changed
from .base import lock, room_session_ids, touch, user_display_name


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
    return room.one_to_one_user_ids()


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


def readd_one_to_one_partners(room: Room, *, only: str | None = None) -> list[Attendee]:
    """Re-add a one-to-one room's missing users as OWNER (reference section 3.2 step 4); return the new attendees.

    ``only`` (a user id of the room) re-adds just that user, as the reference does when a
    user creates a one-to-one that exists. Does nothing for other room types, or for a
    partner whose account no longer exists.
    """
    if room.type != RoomType.ONE_TO_ONE:
        return []
    user_ids = one_to_one_user_ids(room)
    if only is not None:
        user_ids = [user_id for user_id in user_ids if user_id == only]
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

    As the reference does today (CONTRACT section 8): a new room has ``owner`` as its only
    attendee; ``invite`` becomes one when the room is filled (the call starts, or they
    create the same one-to-one themselves). An existing room gets ``owner`` back if they
    had left. Raise ``ForbiddenError("invite")`` for a room with oneself and
    ``NotFound("invite")`` for an unknown user. Locks both user rows, so parallel requests
    for the same pair find one room.
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
            readd_one_to_one_partners(room, only=me)
            attendee = Attendee.objects.get(room=room, actor_type=ActorType.USERS, actor_id=me)
            return room, attendee, False
        room, attendee = _create(RoomType.ONE_TO_ONE, name, owner)
    return room, attendee, True


def create_room(owner, *, room_type: int, name: str, invitations=None, **fields) -> tuple:
    """Create a group or public room with ``owner`` as OWNER and add the invited users and groups.

    ``invitations`` maps a kind (``users``, ``groups``, ...) to ids; only users and groups
    can be added, every other id is invalid. ``fields`` are validated Room fields
    (read_only, listable, lobby_state, ...); a non-zero ``default_permissions`` gets the
    CUSTOM bit. Return ``(room, attendee, invalid)`` where ``invalid`` maps a kind to the
    ids that could not be added. Raise ``NotFound("invite")`` (and create nothing) when
    every invitation is invalid, as the reference does.
    """
    invitations = invitations or {}
    if fields.get("default_permissions"):
        fields["default_permissions"] |= int(Permission.CUSTOM)
    User = get_user_model()
    wanted_users, wanted_groups = invitations.get("users", []), invitations.get("groups", [])
    users = {u.get_username(): u for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": wanted_users})}
    groups = {g.name: g for g in Group.objects.filter(name__in=wanted_groups)}
    invalid = {}
    if missing := [u for u in wanted_users if u not in users]:
        invalid["users"] = missing
    if missing := [g for g in wanted_groups if g not in groups]:
        invalid["groups"] = missing
    for kind, ids in invitations.items():
        if kind not in ("users", "groups") and ids:
            invalid[kind] = list(ids)
    if invalid and not users and not groups:
        raise NotFound("invite")
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
        lock(room)
        Room.objects.filter(pk=room.pk).update(name=name)
        room.name = name
        touch(room)


def delete_room(room: Room, *, attendee: Attendee | None = None) -> None:
    """End a running call for everyone, then delete the room with its attendees and sessions."""
    with transaction.atomic():
        lock(room)
        end_call_for_everyone(room, attendee=attendee)
        participants_changed(room, room_session_ids(room))
        Room.objects.filter(pk=room.pk).delete()
