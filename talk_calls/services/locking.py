"""Row locks of the services, the bottom of the services package (imports nothing from it).

Every service that changes a room takes ``lock_room`` first, then attendee rows
(``lock_attendee``), then session rows: one order, so two requests never wait on each
other in a circle (STYLE.md habit 5, CONTRACT section 7). On SQLite the lock is a
no-op and the re-read still refreshes the caller's copy.
"""

from ..constants import LobbyState
from ..exceptions import NotFound, RoomNotFound
from ..models import Attendee, Room


def lock_room(room: Room) -> Room:
    """Re-read every field of ``room`` under its row lock (one query) and return it.

    Raise ``RoomNotFound`` (404 ``[]``) when the room was deleted since the request found
    it. A lobby whose timer has expired is stored as open here: reads only count it as
    open (``Room.effective_lobby_state``), the next write of the room stores it.
    """
    try:
        room.refresh_from_db(from_queryset=Room.objects.select_for_update())
    except Room.DoesNotExist:
        raise RoomNotFound("This conversation was deleted") from None
    store_expired_lobby(room)
    return room


def store_expired_lobby(room: Room, *, now=None) -> bool:
    """Store an expired lobby timer as "no lobby" (room lock held); return whether it did."""
    if room.lobby_state == LobbyState.NONE or room.effective_lobby_state(now) != LobbyState.NONE:
        return False
    Room.objects.filter(pk=room.pk).update(lobby_state=LobbyState.NONE, lobby_timer=None)
    room.lobby_state, room.lobby_timer = LobbyState.NONE, None
    return True


def lock_attendee(attendee: Attendee, error: str | None = None) -> Attendee:
    """Return ``attendee`` re-read under its row lock (room lock held); ``NotFound(error)`` when it was removed."""
    locked = Attendee.objects.select_for_update().filter(pk=attendee.pk).first()
    if locked is None:
        raise NotFound(error, "This attendee is no longer in the conversation")
    return locked
