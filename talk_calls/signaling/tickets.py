"""Hello v1 tickets for the signaling server (talk-signaling.md section C4).

A ticket is ``random16:timestamp:userid:hex(HMAC-SHA256(secret, "random16:timestamp:userid"))``;
guests have an empty user id. The reference keeps a random secret per user; here the
secret of each user id is derived from Django's ``SECRET_KEY`` (``salted_hmac``), so a
ticket is bound to its user and every app server process checks the others' tickets. Like
the reference, the age of a ticket is not checked.
"""

import hashlib
import hmac
import time

from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

_SALT = "talk_calls.signaling.tickets"


def _secret(user_id: str | None) -> bytes:
    return salted_hmac(_SALT, user_id or "", algorithm="sha256").digest()


def _sign(user_id: str | None, data: str) -> str:
    return hmac.new(_secret(user_id), data.encode(), hashlib.sha256).hexdigest()


def make_ticket(user_id: str | None) -> str:
    """Return a new v1 ticket for ``user_id`` (None or "" for guests)."""
    data = f"{get_random_string(16)}:{int(time.time())}:{user_id or ''}"
    return f"{data}:{_sign(user_id, data)}"


def check_ticket(user_id: str | None, ticket: str) -> bool:
    """Return whether ``ticket`` was made by ``make_ticket(user_id)`` (constant-time compare)."""
    if not isinstance(ticket, str) or ":" not in ticket:
        return False
    data, _, digest = ticket.rpartition(":")
    parts = data.split(":", 2)
    if len(parts) != 3 or parts[2] != (user_id or ""):
        return False
    return constant_time_compare(_sign(user_id, data), digest.lower())
