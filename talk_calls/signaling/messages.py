"""The rules of ``POST signaling/{token}`` (talk-signaling A4), stricter where the issue says so.

Each element ``{"ev": "message", "fn": "<JSON>", "sessionId": ...}`` is relayed when:
the sender is the caller's own Talk session of the room (else silently dropped, as in the
reference); ``fn`` decodes to an object; ``to`` is a live session of the same room (the
reference does not check it); a ``control`` message comes from an owner or moderator
(guest moderators do not count); an ``offer``/``answer`` does not send media the sender
may not publish. ``from`` is stamped by the server. Other ``ev`` values are ignored.

Limits answer a clear 4xx and relay nothing: ``messages`` must be a JSON list (400
``messages``), at most ``MAX_MESSAGES_PER_REQUEST`` elements (413 ``messages``), each
``fn`` at most ``MAX_MESSAGE_LENGTH`` characters (413 ``message``), and a session sends
at most ``RATE_LIMIT_MESSAGES`` per ``RATE_LIMIT_WINDOW`` seconds (429 ``rate``). The
decoded list passes the app's one string check (``parsers.check_values``: no lone
surrogate, NUL or control character, nesting bounded before ``json.loads``), 400
``messages``.
"""

import hashlib
import json
import time

from django.core.cache import cache

from ..constants import USER_MODERATOR_TYPES, Permission
from ..exceptions import BadRequest, PayloadTooLarge, TooManyRequests
from ..parsers import check_values, json_depth_exceeds

MAX_MESSAGES_PER_REQUEST = 100
MAX_MESSAGE_LENGTH = 64 * 1024
RATE_LIMIT_MESSAGES = 600
RATE_LIMIT_WINDOW = 10

SENDING_DIRECTIONS = ("sendrecv", "sendonly")
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def parse_messages(raw) -> list:
    """Return the list of ``messages`` (a JSON string of a list, or a list); raise the limits' 4xx."""
    if isinstance(raw, str):
        if json_depth_exceeds(raw.encode("utf-8", "surrogatepass")):
            raise BadRequest("messages", "messages nests too deep")
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadRequest("messages", "messages is not valid JSON")
    if not isinstance(raw, list):
        raise BadRequest("messages", "messages must be a list")
    if len(raw) > MAX_MESSAGES_PER_REQUEST:
        raise PayloadTooLarge("messages", f"At most {MAX_MESSAGES_PER_REQUEST} messages per request")
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("fn"), str) and len(item["fn"]) > MAX_MESSAGE_LENGTH:
            raise PayloadTooLarge("message", f"A message has more than {MAX_MESSAGE_LENGTH} characters")
    check_values({"messages": raw}, error="messages")
    return raw


def check_rate(session_id: str, count: int, *, now: float | None = None) -> None:
    """Count ``count`` messages against the session's window; raise 429 over the limit."""
    if not count:
        return
    window = int((now if now is not None else time.time()) // RATE_LIMIT_WINDOW)
    key = "talk_calls:signaling:rate:" + hashlib.sha256(f"{session_id}:{window}".encode()).hexdigest()[:32]
    cache.add(key, 0, RATE_LIMIT_WINDOW * 2)
    try:
        sent = cache.incr(key, count)
    except ValueError:  # expired between add and incr
        cache.set(key, count, RATE_LIMIT_WINDOW * 2)
        sent = count
    if sent > RATE_LIMIT_MESSAGES:
        raise TooManyRequests(
            "rate", f"More than {RATE_LIMIT_MESSAGES} signaling messages in {RATE_LIMIT_WINDOW} seconds: slow down"
        )


def sdp_publishes(sdp: str) -> set[str]:
    """Return the media kinds (``audio``, ``video``) that ``sdp`` sends (reference ``isTryingToPublishMedia``).

    A section's direction is its own ``a=`` line, else the session-level one, else sendrecv.
    """
    session_direction = None
    sections: list[list] = []  # [kind, direction]
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("m="):
            sections.append([line[2:].split(" ", 1)[0], None])
        elif line.startswith("a=") and line[2:] in DIRECTIONS:
            if sections:
                sections[-1][1] = line[2:]
            else:
                session_direction = line[2:]
    sending = set()
    for kind, direction in sections:
        if (direction or session_direction or "sendrecv") in SENDING_DIRECTIONS and kind in ("audio", "video"):
            sending.add(kind)
    return sending


def may_publish(message: dict, permissions: int) -> bool:
    """Return whether an offer or answer only sends what ``permissions`` allow."""
    payload = message.get("payload")
    sdp = payload.get("sdp") if isinstance(payload, dict) else None
    if not isinstance(sdp, str):
        return False
    sending = sdp_publishes(sdp)
    if message.get("roomType") == "screen":
        return not sending or bool(permissions & Permission.PUBLISH_SCREEN)
    if "audio" in sending and not permissions & Permission.PUBLISH_AUDIO:
        return False
    return not ("video" in sending and not permissions & Permission.PUBLISH_VIDEO)


def decode(item, sender_id: str) -> dict | None:
    """Return the signaling message of one element sent by ``sender_id``, or None to drop it."""
    if not isinstance(item, dict) or item.get("ev") != "message":
        return None
    if not isinstance(item.get("fn"), str) or item.get("sessionId") != sender_id:
        return None
    try:
        message = json.loads(item["fn"])
    except ValueError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("to"), str):
        return None
    message["from"] = sender_id
    return message


def allowed(message: dict, *, participant_type: int, permissions: int) -> bool:
    """Apply the sender's rights: ``control`` for user moderators, SDP publishing checks."""
    kind = message.get("type")
    if kind == "control":
        return participant_type in USER_MODERATOR_TYPES
    if kind in ("offer", "answer"):
        return may_publish(message, permissions)
    return True


def deliveries(items: list, *, sender_id: str, participant_type: int, permissions: int, live_ids) -> list:
    """Return ``(recipient, text)`` for every element that passes the rules; ``live_ids``
    is a callable that returns which of the given session ids are live in the room."""
    messages = [m for m in (decode(item, sender_id) for item in items) if m is not None]
    messages = [m for m in messages if allowed(m, participant_type=participant_type, permissions=permissions)]
    if not messages:
        return []
    live = live_ids({m["to"] for m in messages})
    return [(m["to"], json.dumps(m, separators=(",", ":"))) for m in messages if m["to"] in live]
