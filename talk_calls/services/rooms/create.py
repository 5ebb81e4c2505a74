"""Creating, renaming and deleting rooms (reference section 5.1: create, rename, delete)."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from ... import signals
from ...constants import (
    ONE_TO_ONE_TYPES,
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
from ...models import Attendee, Room, user_by_username, users_by_username
from ..calls import end_call_for_everyone
from ..events import participants_changed, room_modified, room_session_ids, send_on_commit, touch_room
from ..locking import lock_room
from ..membership import add_group, add_user, one_to_one_name, readd_one_to_one_partners


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


def _create(room_type: int, name: str, owner, **fields) -> tuple[Room, Attendee]:
    for _ in range(5):
        try:
            with transaction.atomic():
                room = Room.objects.create(token=new_token(), type=room_type, name=name, **fields)
                attendee, _ = add_user(room, owner, ParticipantType.OWNER)
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
        raise ForbiddenError("invite", "You cannot start a one-to-one conversation with yourself")
    other = user_by_username(invite)
    if other is None:
        raise NotFound("invite", f"No user named {invite!r}")
    name = one_to_one_name(me, invite)
    with transaction.atomic():
        # Lock both users (in pk order) so two parallel requests cannot create two rooms.
        list(get_user_model()._default_manager.select_for_update().filter(pk__in=[owner.pk, other.pk]).order_by("pk"))
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
    wanted_users, wanted_groups = invitations.get("users", []), invitations.get("groups", [])
    users = {u.get_username(): u for u in users_by_username(wanted_users)}
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
        raise NotFound("invite", "None of the invited users or groups exists or can be invited")
    with transaction.atomic():
        room, attendee = _create(room_type, name, owner, **fields)
        for user in users.values():
            add_user(room, user)
        for group in groups.values():
            add_group(room, group)
    return room, attendee, invalid


def rename_room(room: Room, name: str) -> None:
    """Set the name; raise ``BadRequest("type")`` for one-to-one rooms, ``BadRequest("value")`` for a bad name."""
    if room.type in ONE_TO_ONE_TYPES:
        raise BadRequest("type", "One-to-one conversations cannot be renamed")
    name = name.strip()
    if not name or len(name) > ROOM_NAME_MAX_LENGTH:
        raise BadRequest("value", f"roomName must have 1 to {ROOM_NAME_MAX_LENGTH} characters")
    with transaction.atomic():
        lock_room(room)
        Room.objects.filter(pk=room.pk).update(name=name)
        room.name = name
        touch_room(room)
        room_modified(room)


def delete_conversation(room: Room, *, attendee: Attendee) -> None:
    """Delete the room as its moderator ``attendee`` (``DELETE /room/{token}``): one-to-one
    rooms answer ``BadRequest()`` (data null), the others go through ``delete_room``."""
    if room.type in ONE_TO_ONE_TYPES:
        raise BadRequest(None, "One-to-one conversations cannot be deleted: leave them instead")
    delete_room(room, attendee=attendee)


def delete_room(room: Room, *, attendee: Attendee | None = None) -> None:
    """End a running call for everyone, then delete the room with its attendees and sessions."""
    with transaction.atomic():
        lock_room(room)
        end_call_for_everyone(room, attendee=attendee)
        participants_changed(room, room_session_ids(room))
        user_ids = list(
            Attendee.objects.filter(room=room, actor_type=ActorType.USERS).values_list("actor_id", flat=True)
        )
        Room.objects.filter(pk=room.pk).delete()
        send_on_commit(signals.room_deleted, room, user_ids=user_ids)
