"""Shared helpers of the room services: the room and attendee locks, display names,
and session ids to announce. Every room service takes ``lock`` first."""

from django.utils import timezone

from ...constants import RoomType
from ...exceptions import NotFound, RoomNotFound
from ...models import Attendee, Room, Session, attendee_display_name
from ..calls import lock_room

#: Room types whose attendee list is fixed (reference: 400 "room-type" on add/remove/permissions).
FIXED_MEMBERSHIP_TYPES = (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE, RoomType.NOTE_TO_SELF)


#: Room fields the room services read after taking the lock.
_SETTING_FIELDS = ["type", "name", "listable", "password", "default_permissions", "recording_consent"]


def lock(room: Room) -> Room:
    """Take the room row lock (``calls.lock_room``) and refresh ``room`` from the locked row;
    raise ``RoomNotFound`` (404) when the room was deleted after the caller's participant
    was found."""
    try:
        lock_room(room)
    except Room.DoesNotExist:
        raise RoomNotFound() from None
    # ``lock_room`` refreshes the call fields; the room services also decide on these.
    room.refresh_from_db(fields=_SETTING_FIELDS)
    return room


def lock_attendee(attendee: Attendee, error: str | None = None) -> Attendee:
    """Return ``attendee`` re-read with a row lock (room lock held); ``NotFound(error)`` when it was removed."""
    locked = Attendee.objects.select_for_update().filter(pk=attendee.pk).first()
    if locked is None:
        raise NotFound(error)
    return locked


def touch(room: Room, now=None) -> None:
    now = now or timezone.now()
    Room.objects.filter(pk=room.pk).update(last_activity=now)
    room.last_activity = now


def room_session_ids(room: Room, attendees=None) -> list[str]:
    sessions = Session.objects.filter(room=room)
    if attendees is not None:
        sessions = sessions.filter(attendee__in=attendees)
    return list(sessions.values_list("session_id", flat=True))


#: The user's display name as an attendee row stores it (cut to the column length).
user_display_name = attendee_display_name
