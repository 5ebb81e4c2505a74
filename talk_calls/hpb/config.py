"""Configuration files for the parts around the app: the signaling server's ``server.conf``
(from ``TALK_CALLS``), Janus and coturn (talk-signaling.md sections E, E2, D).

Each ``render_*`` function returns the text of one file; ``manage.py talk_calls_hpb_config``
prints or writes them, and the HPB tests start the Debian binaries with exactly these files.
The values that worked on loopback are the defaults: ``[nats] url = :loopback:`` (never
empty: that means ``nats://localhost:4222``), real random ``hashkey`` / ``blockkey``, Janus
on one interface with full trickle and mDNS ignored, coturn with the TURN REST secret.
"""

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..conf import app_settings

BACKEND_ID = "talk_calls"
LOOPBACK_NATS = ":loopback:"


@dataclass
class SignalingServerConfig:
    listen: str = "127.0.0.1:8080"
    backend_url: str = "http://127.0.0.1:8000/"
    nats_url: str = LOOPBACK_NATS
    janus_url: str = ""
    internal_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    hashkey: str = field(default_factory=lambda: secrets.token_hex(32))
    blockkey: str = field(default_factory=lambda: secrets.token_hex(16))
    turn_secret: str = ""
    turn_servers: tuple = ()
    session_limit: int = 0
    debug: bool = False


def render_server_conf(config: SignalingServerConfig) -> str:
    """Return ``server.conf`` for ``nextcloud-spreed-signaling`` serving this app as one backend.

    The backend secret is ``TALK_CALLS["SIGNALING_SECRET"]``; an ``http://`` backend URL is
    allowed because the backend's own ``url`` is ``http://`` (0.4.1's rule, section E).
    """
    if not config.nats_url:
        raise ValueError("an empty NATS url means nats://localhost:4222; use ':loopback:' or a URL")
    secret = app_settings.SIGNALING_SECRET
    if not secret:
        raise ValueError("TALK_CALLS['SIGNALING_SECRET'] is empty")
    parts = urlsplit(config.backend_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"backend URL {config.backend_url!r} is not an http(s) URL")
    lines = [
        "# nextcloud-spreed-signaling server.conf written by manage.py talk_calls_hpb_config",
        "[http]",
        f"listen = {config.listen}",
        "readtimeout = 15",
        "writetimeout = 15",
        "",
        "[app]",
        f"debug = {'true' if config.debug else 'false'}",
        "allowsubscribeany = false",
        "",
        "[sessions]",
        f"hashkey = {config.hashkey}",
        f"blockkey = {config.blockkey}",
        "",
        "[clients]",
        f"internalsecret = {config.internal_secret}",
        "",
        "[backend]",
        f"backends = {BACKEND_ID}",
        "allowall = false",
        "timeout = 10",
        "connectionsperhost = 8",
        f"allowhttp = {'true' if parts.scheme == 'http' else 'false'}",
        "",
        f"[{BACKEND_ID}]",
        f"url = {config.backend_url.rstrip('/')}",
        f"secret = {secret}",
    ]
    if config.session_limit:
        lines.append(f"sessionlimit = {config.session_limit}")
    lines += ["", "[nats]", f"url = {config.nats_url}", "", "[mcu]"]
    if config.janus_url:
        lines += ["type = janus", f"url = {config.janus_url}"]
    else:
        lines.append("type =")
    if config.turn_secret and config.turn_servers:
        lines += [
            "",
            "[turn]",
            f"apikey = {secrets.token_hex(16)}",
            f"secret = {config.turn_secret}",
            f"servers = {','.join(config.turn_servers)}",
        ]
    lines += ["", "[stats]", "allowed_ips = 127.0.0.1", ""]
    return "\n".join(lines)


@dataclass
class JanusConfig:
    """Janus settings. ``ice_enforce_list`` names the interfaces (or address prefixes) whose
    addresses become ICE candidates; empty: every interface. Janus 1.1.2 (and libnice) never
    offer loopback candidates, whatever this list says."""

    ws_ip: str = "127.0.0.1"
    ws_port: int = 8188
    rtp_port_range: str = "20000-20199"
    plugins_folder: str = "/usr/lib/x86_64-linux-gnu/janus/plugins"
    transports_folder: str = "/usr/lib/x86_64-linux-gnu/janus/transports"
    ice_enforce_list: str = ""
    stun_server: str = ""


def render_janus(config: JanusConfig, configs_folder: str) -> dict[str, str]:
    """Return ``{file name: text}`` of the Janus configuration folder: the core, the websockets
    transport (the signaling server's ``[mcu] url`` is ``ws://<ws_ip>:<ws_port>``) and the
    videoroom plugin. Point ``plugins_folder`` / ``transports_folder`` at folders holding only
    ``libjanus_videoroom.so`` and ``libjanus_websockets.so`` to load nothing else."""
    nat = ["nat: {", "\tfull_trickle = true", "\tignore_mdns = true"]
    if config.ice_enforce_list:
        nat.append(f'\tice_enforce_list = "{config.ice_enforce_list}"')
    if config.stun_server:
        host, _, port = config.stun_server.rpartition(":")
        nat += [f'\tstun_server = "{host}"', f"\tstun_port = {port}"]
    nat.append("}")
    core = "\n".join(
        [
            "general: {",
            f'\tconfigs_folder = "{configs_folder}"',
            f'\tplugins_folder = "{config.plugins_folder}"',
            f'\ttransports_folder = "{config.transports_folder}"',
            '\tevents_folder = "/nonexistent"',
            '\tloggers_folder = "/nonexistent"',
            "\tdebug_level = 4",
            "\tdebug_timestamps = true",
            '\tadmin_secret = ""',
            "}",
            "media: {",
            f'\trtp_port_range = "{config.rtp_port_range}"',
            "}",
            *nat,
            "plugins: {",
            "}",
            "transports: {",
            "}",
            "events: {",
            "\tbroadcast = false",
            "}",
            "",
        ]
    )
    websockets = "\n".join(
        [
            "general: {",
            "\tws = true",
            f"\tws_port = {config.ws_port}",
            f'\tws_ip = "{config.ws_ip}"',
            "\twss = false",
            "}",
            "admin: {",
            "\tadmin_ws = false",
            "\tadmin_wss = false",
            "}",
            "",
        ]
    )
    videoroom = "general: {\n}\n"
    return {
        "janus.jcfg": core,
        "janus.transport.websockets.jcfg": websockets,
        "janus.plugin.videoroom.jcfg": videoroom,
    }


@dataclass
class CoturnConfig:
    secret: str
    listening_ip: str = "127.0.0.1"
    listening_port: int = 3478
    relay_ip: str = "127.0.0.1"
    min_port: int = 49160
    max_port: int = 49200
    realm: str = "talk_calls"
    loopback_peers: bool = False


def render_coturn(config: CoturnConfig) -> str:
    """Return ``turnserver.conf`` with the TURN REST scheme (``use-auth-secret``): credentials are
    ``username = "<expiry>:<random>"``, ``credential = base64(HMAC-SHA1(secret, username))``."""
    lines = [
        "# coturn turnserver.conf written by manage.py talk_calls_hpb_config",
        f"listening-ip={config.listening_ip}",
        f"listening-port={config.listening_port}",
        f"relay-ip={config.relay_ip}",
        f"min-port={config.min_port}",
        f"max-port={config.max_port}",
        "fingerprint",
        "use-auth-secret",
        f"static-auth-secret={config.secret}",
        f"realm={config.realm}",
        "no-tls",
        "no-dtls",
        "no-cli",
        "no-multicast-peers",
        "simple-log",
    ]
    if config.loopback_peers:
        lines.append("allow-loopback-peers")
    return "\n".join(lines) + "\n"
