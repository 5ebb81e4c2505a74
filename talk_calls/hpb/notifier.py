"""Notifications to the signaling server (talk-signaling.md section C5).

Receivers of the app's signals (sent on commit) build the request body at once, in the
request's thread, from committed rows, and hand it to ``sender``: one daemon thread per
process draining a bounded queue, in order. Each request is signed (C2), has a timeout
and a few retries on connection errors and 5xx answers; failures are logged and dropped,
so an outage of the signaling server never slows or fails an API request. A full queue
drops the notification with a warning. In internal mode the receivers return at once.

Sent for Debian's 0.4.1 (section E): ``incall`` with explicit ``changed`` / ``users`` lists for
every in-call change, end-for-everyone included (0.4.1 has no ``all``); ``participants`` for
permission and type changes; ``invite``, ``disinvite``, ``update``, ``delete``; ``message`` for
chat refreshes (``send_message``). ``switchto`` and ``dialout`` are never sent. Missing
features in the server's ``X-Spreed-Signaling-Features`` answer header are a warning.
"""

import json
import logging
import queue
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.db.models import Q
from django.dispatch import receiver

from .. import signals
from ..conf import app_settings
from ..constants import ActorType
from ..models import Attendee, Room, Session
from .checksum import BACKEND_HEADER, signed_headers
from .payloads import NOTIFIED_ACTOR_TYPES, gone_session_entry, room_properties, session_entry
from .servers import INTERNAL, SignalingServer, server_for_room, signaling_mode

logger = logging.getLogger(__name__)

QUEUE_SIZE = 1000
TIMEOUT = 5.0
ATTEMPTS = 3
RETRY_DELAYS = (0.1, 0.5)
#: Features Debian's 0.4.1 announces; anything it lacks of these is worth a warning.
EXPECTED_FEATURES = ("audio-video-permissions",)
FEATURES_HEADER = "X-Spreed-Signaling-Features"


@dataclass(frozen=True)
class Notification:
    server: SignalingServer
    token: str
    body: bytes


class Sender:
    """A bounded queue drained by one daemon thread, started on first use (after a fork too)."""

    def __init__(self, maxsize: int = QUEUE_SIZE):
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._warned: set = set()
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    def _ensure_thread(self) -> queue.Queue:
        with self._lock:
            if self._queue is None or self._thread is None or not self._thread.is_alive():
                pending: queue.Queue = queue.Queue(self.maxsize)
                self._queue = pending
                self._thread = threading.Thread(
                    target=self._run, args=(pending,), name="talk-calls-hpb-notifier", daemon=True
                )
                self._thread.start()
            return self._queue

    def submit(self, notification: Notification) -> bool:
        """Queue ``notification``; return False (and log) when the queue is full."""
        try:
            self._ensure_thread().put_nowait(notification)
            return True
        except queue.Full:
            self.dropped += 1
            logger.warning("Signaling notifications queue full: dropped one for room %s", notification.token)
            return False

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued notification was handled; return False on timeout."""
        deadline = time.monotonic() + timeout
        pending = self._queue
        while pending is not None and pending.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return pending is None or not pending.unfinished_tasks

    def _run(self, pending: queue.Queue) -> None:
        while True:
            notification = pending.get()
            try:
                self.deliver(notification)
            finally:
                pending.task_done()

    def deliver(self, notification: Notification) -> bool:
        """POST one notification with retries; return whether the server accepted it."""
        server = notification.server
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers.update(signed_headers(app_settings.SIGNALING_SECRET, notification.body))
        if app_settings.SIGNALING_BACKEND_URL:
            headers[BACKEND_HEADER] = app_settings.SIGNALING_BACKEND_URL
        context = None if server.verify else _unverified_context()
        url = server.room_url(notification.token)
        for attempt in range(ATTEMPTS):
            request = urllib.request.Request(url, data=notification.body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as response:
                    response.read()
                    self._check_features(server, response.headers.get(FEATURES_HEADER))
                    self.sent += 1
                    return True
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    logger.error(
                        "Signaling server %s refused a notification for %s: HTTP %s", url, notification.token, exc.code
                    )
                    break
                problem = f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:  # URLError, timeouts, resets are OSErrors
                problem = repr(exc)
            if attempt < ATTEMPTS - 1:
                time.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
        else:
            logger.error(
                "Signaling server %s unreachable for %s after %d attempts: %s",
                url,
                notification.token,
                ATTEMPTS,
                problem,
            )
        self.failed += 1
        return False

    def _check_features(self, server: SignalingServer, header: str | None) -> None:
        features = {f.strip() for f in (header or "").split(",") if f.strip()}
        missing = [f for f in EXPECTED_FEATURES if f not in features]
        if missing and server.url not in self._warned:
            self._warned.add(server.url)
            logger.warning(
                "Signaling server %s lacks features %s; it needs to be updated", server.url, ", ".join(missing)
            )


sender = Sender()


def _unverified_context() -> ssl.SSLContext:
    """Return a TLS context that accepts any certificate (a server entry with ``verify: False``)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def notify(room: Room, kind: str, payload: dict) -> None:
    """Queue ``{"type": kind, kind: payload}`` for the signaling server of ``room``."""
    server = server_for_room(room.token)
    if server is None:
        return
    body = json.dumps({"type": kind, kind: payload}, separators=(",", ":")).encode()
    sender.submit(Notification(server=server, token=room.token, body=body))


def _external() -> bool:
    return signaling_mode() != INTERNAL


def _user_ids(room: Room) -> list[str]:
    return sorted(Attendee.objects.filter(room=room, actor_type=ActorType.USERS).values_list("actor_id", flat=True))


def _entries(room: Room, changed_ids, *, with_permissions: bool) -> tuple[list, list]:
    """Return ``(changed, users)``: entries of the touched sessions (gone ones out of the call)
    and of every session in the call (one query)."""
    changed_ids = list(dict.fromkeys(changed_ids))
    rows = (
        Session.objects.filter(room=room, attendee__actor_type__in=NOTIFIED_ACTOR_TYPES)
        .filter(Q(in_call__gt=0) | Q(session_id__in=changed_ids))
        .select_related("attendee", "room")
    )
    by_id = {session.session_id: session for session in rows}
    changed = [
        session_entry(by_id[sid], with_permissions=with_permissions) if sid in by_id else gone_session_entry(sid)
        for sid in changed_ids
    ]
    users = [session_entry(session) for session in by_id.values() if session.in_call]
    return changed, users


@receiver(signals.participants_changed, dispatch_uid="talk_calls_hpb_incall")
def send_incall(sender, room, session_ids, **kwargs):
    """Every join, leave and in-call change: ``incall`` with the touched sessions in ``changed``."""
    if not session_ids or not _external():
        return
    changed, users = _entries(room, session_ids, with_permissions=False)
    flags = changed[0]["inCall"] if len(changed) == 1 else 0
    notify(room, "incall", {"incall": flags, "changed": changed, "users": users})


@receiver(signals.permissions_changed, dispatch_uid="talk_calls_hpb_participants")
def send_participants(sender, room, session_ids, **kwargs):
    """Type, permission or guest name changes: ``participants`` with the new ``permissions``."""
    if not session_ids or not _external():
        return
    changed, users = _entries(room, session_ids, with_permissions=True)
    notify(room, "participants", {"changed": changed, "users": users})


@receiver(signals.attendees_added, dispatch_uid="talk_calls_hpb_invite")
def send_invite(sender, room, attendees, **kwargs):
    user_ids = sorted({a.actor_id for a in attendees if a.actor_type == ActorType.USERS})
    if not user_ids or not _external():
        return
    properties = room_properties(room, "", modified=False)
    notify(room, "invite", {"userids": user_ids, "alluserids": _user_ids(room), "properties": properties})


@receiver(signals.attendees_removed, dispatch_uid="talk_calls_hpb_disinvite")
def send_disinvite(sender, room, attendees, session_ids, **kwargs):
    user_ids = sorted({a.actor_id for a in attendees if a.actor_type == ActorType.USERS})
    if not (user_ids or session_ids) or not _external():
        return
    payload = {"alluserids": _user_ids(room), "properties": room_properties(room, "", modified=False)}
    if user_ids:
        payload["userids"] = user_ids
    if session_ids:
        payload["sessionids"] = list(session_ids)
    notify(room, "disinvite", payload)


@receiver(signals.room_modified, dispatch_uid="talk_calls_hpb_update")
def send_update(sender, room, **kwargs):
    if not _external():
        return
    notify(room, "update", {"userids": _user_ids(room), "properties": room_properties(room, "")})


@receiver(signals.room_deleted, dispatch_uid="talk_calls_hpb_delete")
def send_delete(sender, room, user_ids, **kwargs):
    if not _external():
        return
    notify(room, "delete", {"userids": sorted(user_ids)})


def send_message(room: Room, data: dict) -> None:
    """Relay ``data`` to every client of ``room`` (``message``; e.g. ``{"type": "chat", "chat": {"refresh": True}}``)."""
    if _external():
        notify(room, "message", {"data": data})
