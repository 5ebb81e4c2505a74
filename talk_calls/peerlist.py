"""The peer list of ``GET /call/{token}``: read in one statement, encoded once, reused.

A call's peer list is read by every participant every few seconds and changes far less
often, so each server process keeps it encoded (``renderers.EncodedJSON``) per room and
``Room.peers_version``. Every service that changes who is in the call, or the names
shown, moves that version on in the same transaction (``services.locking.lock_room``,
``bump_peers_version``), and the caller's participant look-up reads the room row anyway:
a change shows in the very next ``GET /call`` of any process. An entry is used only while

- its version is the room's,
- it is younger than ``PEER_LIST_MAX_AGE`` seconds (pings move ``lastPing`` without a
  version change: the answer's ``lastPing`` values are at most that old), and
- none of its peers has gone stale since it was read (a session that stopped pinging
  leaves the list exactly when its ``lastPing`` passes ``SESSION_PING_TIMEOUT``).

A session that had stopped pinging and pings again, and a user's changed name on a
nameless user attendee, show within ``PEER_LIST_MAX_AGE`` (README, deviations).
``PEER_LIST_MAX_AGE = 0`` reads the list on every request. The cache is bounded
(``CACHE_BYTES``, least recently used out first).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router
from django.utils import timezone

from .conf import app_settings
from .constants import ActorType
from .models import PEER_ROW_FIELDS, Attendee, Room, Session, ping_cutoff
from .renderers import EncodedJSON, encode_json
from .serializers import peers_payload
from .sqlrows import pk_column

#: The most bytes of encoded peer lists one process keeps.
CACHE_BYTES = 16 * 1024 * 1024

#: ``last_ping`` as seconds since the epoch (a float), per backend: no datetime objects.
_EPOCH_SQL = {
    "postgresql": "EXTRACT(EPOCH FROM s.{column})::float8",
    # Whole seconds exactly, plus the milliseconds of %f ("SS.SSS").
    "sqlite": (
        "(CAST(strftime('%%s', s.{column}) AS REAL)"
        " + CAST(strftime('%%f', s.{column}) AS REAL) - CAST(strftime('%%S', s.{column}) AS REAL))"
    ),
}


@dataclass
class _Entry:
    read_at: float
    oldest_ping: float
    #: The list as moderators see it, and as everyone else does (phone numbers masked).
    for_moderators: bytes
    for_others: bytes

    @property
    def size(self) -> int:
        return len(self.for_moderators) + (0 if self.for_others is self.for_moderators else len(self.for_others))


class PeerListCache:
    """Encoded peer lists by room, room creation time and ``peers_version`` (thread-safe, LRU)."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: _Entry) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


cache = PeerListCache()


def peer_rows(room: Room, cutoff: datetime) -> list[tuple]:
    """Return the room's sessions in the call pinged at or after ``cutoff`` as
    ``(session_id, last_ping epoch seconds, actor_type, actor_id, display_name, user_id)``
    tuples, in one statement on the partial index of in-call sessions."""
    connection = connections[router.db_for_read(Session)]
    epoch = _EPOCH_SQL.get(connection.vendor)
    if epoch is None:  # another backend: the ORM, and datetimes converted here
        rows = Session.objects.filter(room=room, last_ping__gte=cutoff).in_call().values_list(*PEER_ROW_FIELDS)
        return [(session_id, ping.timestamp(), *rest) for session_id, ping, *rest in rows]
    quote = connection.ops.quote_name
    last_ping = epoch.format(column=quote("last_ping"))
    session, attendee = quote(Session._meta.db_table), quote(Attendee._meta.db_table)
    sql = (
        f"SELECT s.{quote('session_id')}, {last_ping}, a.{quote('actor_type')}, a.{quote('actor_id')},"
        f" a.{quote('display_name')}, a.{quote('user_id')}"
        f" FROM {session} s INNER JOIN {attendee} a ON a.{quote(pk_column(Attendee))} = s.{quote('attendee_id')}"
        f" WHERE s.{quote('room_id')} = %s AND s.{quote('in_call')} > 0 AND s.{quote('last_ping')} >= %s"
        f" ORDER BY s.{quote(pk_column(Session))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [room.pk, connection.ops.adapt_datetimefield_value(cutoff)])
        return cursor.fetchall()


def _read(room: Room, now: datetime) -> _Entry:
    rows = peer_rows(room, ping_cutoff(now))
    for_moderators = encode_json(peers_payload(rows, room.token, moderator=True))
    has_phones = any(row[2] == ActorType.PHONES for row in rows)
    for_others = encode_json(peers_payload(rows, room.token, moderator=False)) if has_phones else for_moderators
    oldest = min((row[1] for row in rows), default=now.timestamp())
    return _Entry(read_at=now.timestamp(), oldest_ping=oldest, for_moderators=for_moderators, for_others=for_others)


def peer_list(room: Room, *, moderator: bool) -> EncodedJSON:
    """Return the ``GET /call`` list of ``room`` as the caller sees it (phone numbers masked
    unless ``moderator``), encoded; from the cache when its entry is still valid."""
    now_datetime = timezone.now()
    now = now_datetime.timestamp()
    max_age = app_settings.PEER_LIST_MAX_AGE
    key = (router.db_for_read(Session), room.pk, room.created_at, room.peers_version)
    entry = cache.get(key) if max_age > 0 else None
    if (
        entry is None
        or now - entry.read_at >= max_age
        or entry.oldest_ping < now - app_settings.SESSION_PING_TIMEOUT
        or now < entry.read_at
    ):
        entry = _read(room, now_datetime)
        if max_age > 0:
            cache.put(key, entry)
    return EncodedJSON(entry.for_moderators if moderator else entry.for_others)
