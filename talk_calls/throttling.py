"""Throttles against guessing and floods, kept in Django's cache, and the bound on password hashes.

Scopes and their default limits (``TALK_CALLS["THROTTLES"]`` overrides any of them with
``"N/seconds"``, or ``None`` to switch one off):

============================  ============  ====================================================
scope                         default       counts
============================  ============  ====================================================
``room_password_address``     10 / 300 s    wrong room passwords from one client address
``room_password_room``        50 / 300 s    wrong passwords for one room, from anywhere
``login_address``             10 / 300 s    failed Basic logins from one client address
``login_user``                10 / 300 s    failed Basic logins for one user name
``guest_join_address``        60 / 60 s     anonymous joins from one client address
``dialout_attendee``          10 / 3600 s   dial-outs asked for by one attendee
``dialout_room``              30 / 3600 s   dial-outs in one room
``signaling_backend_address`` 10 / 300 s    bad checksums of signaling backend requests from one
                                            client address (then every request from it: 429)
============================  ============  ====================================================

Over a limit the caller gets 429 with ``Retry-After`` (``exceptions.ThrottleExceeded``),
and a throttled password is never hashed: ``check`` runs before the hasher, ``hit`` after a
failure. Counters are fixed windows in the cache named by ``TALK_CALLS["THROTTLE_CACHE"]``;
they hold across worker processes and servers only if that cache is shared (database,
Redis, Memcached): the local-memory cache counts per process (``manage.py check --deploy``
warns, ``talk_calls.W001``). Client addresses are ``REMOTE_ADDR`` or the header named by
``CLIENT_ADDRESS_HEADER`` (``client_ip``), IPv6 aggregated per /64 as the Talk signaling
server does.

``password_hash_slot`` bounds the password hashes one process runs at once
(``PASSWORD_HASH_CONCURRENCY``); a request that waits longer than ``PASSWORD_HASH_WAIT``
seconds for a slot gets 429 as well.
"""

import hashlib
import ipaddress
import threading
import time
from contextlib import contextmanager

from django.core.cache import caches

from .conf import app_settings
from .exceptions import ThrottleExceeded

DEFAULT_RATES = {
    "room_password_address": "10/300",
    "room_password_room": "50/300",
    "login_address": "10/300",
    "login_user": "10/300",
    "guest_join_address": "60/60",
    "dialout_attendee": "10/3600",
    "dialout_room": "30/3600",
    "signaling_backend_address": "10/300",
}


def parse_rate(rate) -> tuple[int, int] | None:
    """Return ``(count, seconds)`` of ``"N/seconds"`` (or a pair), None for ``None``; raise ValueError."""
    if rate is None:
        return None
    if isinstance(rate, str):
        count, _, seconds = rate.partition("/")
        rate = (int(count), int(seconds))
    count, seconds = rate
    if isinstance(count, bool) or isinstance(seconds, bool) or int(count) < 1 or int(seconds) < 1:
        raise ValueError(f"bad rate {rate!r}")
    return int(count), int(seconds)


def rate_for(scope: str) -> tuple[int, int] | None:
    configured = app_settings.THROTTLES or {}
    return parse_rate(configured.get(scope, DEFAULT_RATES[scope]))


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """Return the client's IP address: ``REMOTE_ADDR``, or, when ``CLIENT_ADDRESS_HEADER``
    names a header a trusted proxy sets, the last address in it (the one that proxy added);
    values that are no IP address count as none."""
    meta = getattr(request, "META", {})
    address = _ip_or_none(meta.get("REMOTE_ADDR", "") or "")
    header = app_settings.CLIENT_ADDRESS_HEADER
    if header and meta.get(header):
        address = _ip_or_none(meta[header].split(",")[-1]) or address
    return address


def client_address(request) -> str:
    """Return the caller's address for throttling: ``client_ip``, IPv6 cut to its /64."""
    raw = client_ip(request)
    if raw is None:
        return (getattr(request, "META", {}).get("REMOTE_ADDR", "") or "")[:64]
    address = ipaddress.ip_address(raw)
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(scope: str, ident, window: int) -> str:
    digest = hashlib.sha256(str(ident).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"talk_calls:throttle:{scope}:{digest}:{window}"


def _window(seconds: int, now: float) -> tuple[int, int]:
    window = int(now // seconds)
    return window, max(1, int((window + 1) * seconds - now))


def check(scope: str, ident) -> None:
    """Raise ``ThrottleExceeded`` when ``ident`` used up ``scope`` in the current window."""
    rate = rate_for(scope)
    if rate is None or ident in (None, ""):
        return
    count, seconds = rate
    window, wait = _window(seconds, time.time())
    if (caches[app_settings.THROTTLE_CACHE].get(_key(scope, ident, window)) or 0) >= count:
        raise ThrottleExceeded(wait=wait, scope=scope)


def hit(scope: str, ident) -> None:
    """Count one event of ``scope`` for ``ident`` (atomic on caches with an atomic ``incr``)."""
    rate = rate_for(scope)
    if rate is None or ident in (None, ""):
        return
    _, seconds = rate
    window, _ = _window(seconds, time.time())
    cache = caches[app_settings.THROTTLE_CACHE]
    key = _key(scope, ident, window)
    if cache.add(key, 1, timeout=seconds + 1):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds + 1)


def count(scope: str, ident) -> None:
    """Check, then count one event (for events limited whether or not they succeed)."""
    check(scope, ident)
    hit(scope, ident)


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def _semaphore() -> threading.BoundedSemaphore:
    size = max(1, int(app_settings.PASSWORD_HASH_CONCURRENCY))
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


@contextmanager
def password_hash_slot():
    """Run the block (one password hash) in one of the process's ``PASSWORD_HASH_CONCURRENCY``
    slots; raise ``ThrottleExceeded`` after ``PASSWORD_HASH_WAIT`` seconds without one."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=max(0.0, float(app_settings.PASSWORD_HASH_WAIT))):
        raise ThrottleExceeded(wait=1, scope="password_hash")
    try:
        yield
    finally:
        semaphore.release()
