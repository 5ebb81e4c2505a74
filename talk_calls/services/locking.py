"""Row locks of the services, the bottom of the services package (imports nothing from it).

Every service that changes a room takes ``lock_room`` first, then attendee rows
(``lock_attendee``), then session rows: one order, so two requests never wait on each
other in a circle (STYLE.md habit 5, CONTRACT section 7). On SQLite the lock is a
no-op and the re-read still refreshes the caller's copy.
"""

from functools import partial

from django.db import connection, transaction
from django.db.models import F

from .. import signals
from ..constants import LobbyState
from ..exceptions import NotFound, RoomNotFound
from ..models import Attendee, Room
from ..sqlrows import ModelColumns, can_update_returning, pk_column

ROOM_COLUMNS = ModelColumns(Room, "")


def lock_room(room: Room) -> Room:
    """Re-read every field of ``room`` under its row lock (one query) and return it.

    The lock is taken by the statement that moves ``Room.peers_version`` on: every service
    that may change who is in the call (or their names) takes this lock, so the cached peer
    list of ``GET /call`` (``peerlist``) is replaced when the change commits. Where the
    backend can return rows from an UPDATE (PostgreSQL, SQLite) that is one statement.

    Raise ``RoomNotFound`` (404 ``[]``) when the room was deleted since the request found
    it. A lobby whose timer has expired is stored as open here: reads only count it as
    open (``Room.effective_lobby_state``), the next write of the room stores it.
    """
    if can_update_returning(connection):
        quote = connection.ops.quote_name
        version = quote("peers_version")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(Room._meta.db_table)} SET {version} = {version} + 1 WHERE {quote(pk_column(Room))} = %s"
                f" RETURNING {ROOM_COLUMNS.select(connection)}",
                [room.pk],
            )
            row = cursor.fetchone()
        if row is None:
            raise RoomNotFound("This conversation was deleted")
        _load(room, ROOM_COLUMNS.values(row, 0, connection))
    else:
        bump_peers_version(room)
        try:
            room.refresh_from_db(from_queryset=Room.objects.select_for_update())
        except Room.DoesNotExist:
            raise RoomNotFound("This conversation was deleted") from None
    store_expired_lobby(room)
    return room


def _load(room: Room, values: list) -> None:
    """Set ``room``'s fields to ``values`` as ``refresh_from_db`` does (a related object
    cached for a foreign key whose value changed is dropped)."""
    for field, value in zip(ROOM_COLUMNS.fields, values, strict=True):
        if field.is_relation and field.is_cached(room) and getattr(room, field.attname) != value:
            field.delete_cached_value(room)
        setattr(room, field.attname, value)


def bump_peers_version(room: Room) -> None:
    """Move ``Room.peers_version`` on (a change of the peer list made without ``lock_room``)."""
    Room.objects.filter(pk=room.pk).update(peers_version=F("peers_version") + 1)


def store_expired_lobby(room: Room, *, now=None) -> bool:
    """Store an expired lobby timer as "no lobby" (room lock held); return whether it did.

    Sends ``signals.room_modified`` on commit (a signaling server then tells the room's
    clients, ``update``), as when a moderator opens the lobby.
    """
    if room.lobby_state == LobbyState.NONE or room.effective_lobby_state(now) != LobbyState.NONE:
        return False
    Room.objects.filter(pk=room.pk).update(lobby_state=LobbyState.NONE, lobby_timer=None)
    room.lobby_state, room.lobby_timer = LobbyState.NONE, None
    transaction.on_commit(partial(signals.room_modified.send, sender=Room, room=room))
    return True


def lock_attendee(attendee: Attendee, error: str | None = None) -> Attendee:
    """Return ``attendee`` re-read under its row lock (room lock held); ``NotFound(error)`` when it was removed."""
    locked = Attendee.objects.select_for_update().filter(pk=attendee.pk).first()
    if locked is None:
        raise NotFound(error, "This attendee is no longer in the conversation")
    return locked
