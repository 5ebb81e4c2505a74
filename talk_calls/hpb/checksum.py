"""Signed requests between the app and a signaling server (talk-signaling.md section C2).

Both directions carry ``Spreed-Signaling-Random`` (at least 32 characters) and
``Spreed-Signaling-Checksum``: lowercase hex HMAC-SHA256, keyed with the shared secret, of
the random string followed by the raw body.
"""

import hashlib
import hmac

from django.utils.crypto import constant_time_compare, get_random_string

RANDOM_HEADER = "Spreed-Signaling-Random"
CHECKSUM_HEADER = "Spreed-Signaling-Checksum"
BACKEND_HEADER = "Spreed-Signaling-Backend"
MIN_RANDOM_LENGTH = 32


def checksum(secret: str, random: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``random + body`` keyed with ``secret``."""
    return hmac.new(secret.encode(), random.encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, random: str | None, received: str | None, body: bytes) -> bool:
    """Return whether ``received`` is the checksum of ``body`` (constant-time, case-insensitive)."""
    if not secret or not random or not received or len(random) < MIN_RANDOM_LENGTH:
        return False
    return constant_time_compare(checksum(secret, random, body), received.lower())


def signed_headers(secret: str, body: bytes) -> dict:
    """Return the random and checksum headers of a request with ``body``."""
    random = get_random_string(64)
    return {RANDOM_HEADER: random, CHECKSUM_HEADER: checksum(secret, random, body)}
