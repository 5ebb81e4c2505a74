"""STUN and TURN servers for ``signaling/settings`` (talk-signaling section D).

TURN servers with a ``secret`` get time-limited credentials of the coturn "TURN REST API"
scheme, as the reference does: ``username = "<expiry>:<16 random chars>"`` (one username
for every server of a response), ``credential = base64(HMAC-SHA1(secret, username))``,
valid for a day. A server with a fixed ``username``/``password`` passes them through.
"""

import base64
import hashlib
import hmac
import time

from django.utils.crypto import get_random_string

from ..conf import app_settings

#: Lifetime of TURN REST credentials, seconds (reference: 86400).
TURN_CREDENTIAL_LIFETIME = 86400
TURN_SCHEMES = ("turn", "turns")
TURN_PROTOCOLS = ("udp", "tcp")


def _split(value, allowed, default) -> list[str]:
    items = [part.strip() for part in str(value or default).split(",") if part.strip()]
    return [item for item in items if item in allowed]


def stun_servers() -> list[dict]:
    """Return ``[{"urls": ["stun:host:port", ...]}]``, or ``[]`` when none is configured."""
    urls = [f"stun:{server}" for server in app_settings.STUN_SERVERS]
    return [{"urls": urls}] if urls else []


def turn_credentials(secret: str, *, now: float | None = None, username: str | None = None) -> tuple[str, str]:
    """Return ``(username, credential)`` of the TURN REST scheme for ``secret``."""
    if username is None:
        expiry = int(now if now is not None else time.time()) + TURN_CREDENTIAL_LIFETIME
        username = f"{expiry}:{get_random_string(16)}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def turn_servers(*, now: float | None = None) -> list[dict]:
    """Return one ``{"urls", "username", "credential"}`` entry per configured TURN server."""
    servers = []
    username = None
    for server in app_settings.TURN_SERVERS:
        schemes = _split(server.get("schemes"), TURN_SCHEMES, "turn")
        protocols = _split(server.get("protocols"), TURN_PROTOCOLS, "udp,tcp")
        urls = [f"{scheme}:{server['server']}?transport={proto}" for scheme in schemes for proto in protocols]
        if server.get("secret"):
            username, credential = turn_credentials(server["secret"], now=now, username=username)
            servers.append({"urls": urls, "username": username, "credential": credential})
        else:
            servers.append(
                {"urls": urls, "username": server.get("username", ""), "credential": server.get("password", "")}
            )
    return servers


def configuration_errors() -> list[str]:
    """Return what is wrong with ``STUN_SERVERS`` and ``TURN_SERVERS`` (for the system check)."""
    errors = []
    stun = app_settings.STUN_SERVERS
    if not isinstance(stun, (list, tuple)) or not all(isinstance(s, str) and s for s in stun):
        errors.append("TALK_CALLS['STUN_SERVERS'] must be a list of 'host:port' strings.")
    turn = app_settings.TURN_SERVERS
    if not isinstance(turn, (list, tuple)) or not all(
        isinstance(s, dict) and isinstance(s.get("server"), str) and s["server"] for s in turn
    ):
        errors.append("TALK_CALLS['TURN_SERVERS'] must be a list of dicts with a 'server' ('host:port').")
    return errors
