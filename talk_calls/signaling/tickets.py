"""The v1 signaling ticket (talk-signaling C4): ``random16:timestamp:userid:hmac``.

The HMAC is SHA-256 over everything before the last ``:``, keyed with a secret derived
from ``SECRET_KEY`` (the reference keeps one secret per user; one derived key, with the
user id inside the signed text, gives the same guarantee). Guests sign an empty user id.
As in the reference, a ticket does not expire: only its signature is checked.
"""

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.utils.crypto import get_random_string
from django.utils.encoding import force_bytes

#: Keeps this secret apart from every other use of SECRET_KEY.
SALT = "talk_calls.signaling.ticket"


def _secret() -> bytes:
    return hashlib.sha256(SALT.encode() + b":" + force_bytes(settings.SECRET_KEY)).digest()


def _sign(text: str) -> str:
    return hmac.new(_secret(), text.encode(), hashlib.sha256).hexdigest()


def make_ticket(user_id: str | None) -> str:
    """Return a new ticket for ``user_id`` (None for a guest)."""
    text = f"{get_random_string(16)}:{int(time.time())}:{user_id or ''}"
    return f"{text}:{_sign(text)}"


def check_ticket(user_id: str | None, ticket: str) -> bool:
    """Return whether ``ticket`` was made by ``make_ticket(user_id)`` on this site."""
    if not isinstance(ticket, str) or ticket.count(":") < 3:
        return False
    text, _, signature = ticket.rpartition(":")
    _random, _timestamp, ticket_user = text.split(":", 2)
    if not secrets.compare_digest(ticket_user, user_id or ""):
        return False
    return secrets.compare_digest(signature, _sign(text))
