"""Which signaling server serves a room (talk-signaling.md section 0 and C1).

The mode is ``internal`` when ``TALK_CALLS["SIGNALING_MODE"]`` says so or no server is
configured, ``external`` with exactly one server, and the configured mode with several:
``external`` picks a random server per request (servers clustered over NATS, upstream
1.0.0 or newer), ``conversation_cluster`` pins every room to one server, chosen from a hash
of its token so that every app server process agrees without storing anything. With
Debian's 0.4.1 use ``conversation_cluster`` to run several servers (section E2).
"""

import hashlib
import random
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..conf import app_settings

INTERNAL = "internal"
EXTERNAL = "external"
CONVERSATION_CLUSTER = "conversation_cluster"
MODES = (INTERNAL, EXTERNAL, CONVERSATION_CLUSTER)
URL_SCHEMES = ("http", "https", "ws", "wss")


@dataclass(frozen=True)
class SignalingServer:
    url: str
    verify: bool = True

    @property
    def api_base(self) -> str:
        """Return the server's HTTP base URL: ``ws``/``wss`` become ``http``/``https``, no trailing slash."""
        url = self.url.strip().rstrip("/")
        if url.startswith("ws://"):
            url = "http://" + url[len("ws://") :]
        elif url.startswith("wss://"):
            url = "https://" + url[len("wss://") :]
        return url

    def room_url(self, token: str) -> str:
        return f"{self.api_base}/api/v1/room/{token}"

    @property
    def websocket_url(self) -> str:
        """Return the WebSocket URL clients connect to (``.../spreed``)."""
        base = self.api_base
        base = "ws://" + base[len("http://") :] if base.startswith("http://") else "wss://" + base[len("https://") :]
        return f"{base}/spreed"


def server_error(entry) -> str | None:
    """Return what is wrong with one ``SIGNALING_SERVERS`` entry, or None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("server"), str):
        return 'must be a dict {"server": url, "verify": bool}'
    parts = urlsplit(entry["server"].strip())
    if parts.scheme not in URL_SCHEMES or not parts.netloc:
        return f"{entry['server']!r} is not an http(s):// or ws(s):// URL"
    if not isinstance(entry.get("verify", True), bool):
        return '"verify" must be True or False'
    if set(entry) - {"server", "verify"}:
        return f"unknown keys {sorted(set(entry) - {'server', 'verify'})}"
    return None


def configured_servers() -> list[SignalingServer]:
    """Return the valid entries of ``SIGNALING_SERVERS`` (the system check reports the others)."""
    entries = app_settings.SIGNALING_SERVERS
    if not isinstance(entries, (list, tuple)):
        return []
    return [
        SignalingServer(url=entry["server"].strip(), verify=entry.get("verify", True))
        for entry in entries
        if server_error(entry) is None
    ]


def signaling_mode() -> str:
    """Return the effective signaling mode (the reference's ``Config::getSignalingMode``)."""
    mode = app_settings.SIGNALING_MODE
    servers = configured_servers()
    if mode == INTERNAL or not servers or not app_settings.SIGNALING_SECRET:
        return INTERNAL
    if len(servers) == 1:
        return EXTERNAL
    return mode if mode in MODES else EXTERNAL


def server_for_room(token: str) -> SignalingServer | None:
    """Return the server for room ``token``: None in internal mode, the room's pinned server in
    ``conversation_cluster`` mode, otherwise a random one."""
    mode = signaling_mode()
    if mode == INTERNAL:
        return None
    servers = configured_servers()
    if mode == CONVERSATION_CLUSTER:
        index = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big") % len(servers)
        return servers[index]
    return random.choice(servers)
