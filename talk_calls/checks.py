"""System checks for ``TALK_CALLS`` and the middleware the app needs (ids ``talk_calls.E001`` ...).

E001 not a dict, E002 unknown key, E003 integer out of range, E004 bad group list, E005
dial-out backend not importable, E006 kill timeout shorter than ping timeout, E007 bad
guest group name, E008 no SessionMiddleware, E009 no AuthenticationMiddleware, E010 bad
client address header, E011 bad ``THROTTLES``, E012 ``THROTTLE_CACHE`` not in ``CACHES``,
E020 bad STUN_SERVERS or TURN_SERVERS; external signaling: E021 bad
signaling mode, E022 bad signaling server list, E023 servers without a usable secret, E024
bad backend URL, E025 unusable hello v2 token key; with ``--deploy``: W001 the throttle cache is not
shared between processes.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from .conf import DEFAULTS
from .hpb.servers import MODES, server_error
from .signaling import ice, tokens
from .throttling import DEFAULT_RATES, parse_rate

_INT_RANGES = {
    "START_CALLS": (0, 3),
    "DEFAULT_PERMISSIONS": (0, 255),
    "RECORDING_CONSENT": (0, 2),
    "SESSION_PING_TIMEOUT": (1, 86400),
    "SESSION_KILL_TIMEOUT": (1, 7 * 86400),
    "PEER_LIST_MAX_AGE": (0, 3600),
    "MAX_CALL_DURATION": (0, 10**9),
    "PASSWORD_HASH_CONCURRENCY": (1, 1024),
    "PASSWORD_HASH_WAIT": (0, 3600),
    "MAX_GUESTS_PER_ROOM": (0, 10**6),
    "DIALOUT_TIMEOUT": (1, 86400),
}


def _unknown_keys(value: dict) -> list[Error]:
    return [
        Error(
            f"TALK_CALLS has an unknown key {key!r}.",
            hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
            id="talk_calls.E002",
        )
        for key in sorted(set(value) - set(DEFAULTS))
    ]


def _integer_ranges(value: dict) -> list[Error]:
    errors = []
    for key, (low, high) in _INT_RANGES.items():
        item = value.get(key, low)
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            errors.append(
                Error(
                    f"TALK_CALLS[{key!r}] must be an integer from {low} to {high}, not {item!r}.", id="talk_calls.E003"
                )
            )
    return errors


def _start_calls_groups(value: dict) -> list[Error]:
    groups = value.get("START_CALLS_GROUPS", DEFAULTS["START_CALLS_GROUPS"])
    if isinstance(groups, (list, tuple)) and all(isinstance(g, str) for g in groups):
        return []
    return [Error("TALK_CALLS['START_CALLS_GROUPS'] must be a list of group names.", id="talk_calls.E004")]


def _dialout_backend(value: dict) -> list[Error]:
    backend = value.get("SIP_DIALOUT_BACKEND", DEFAULTS["SIP_DIALOUT_BACKEND"])
    if backend is None:
        return []
    try:
        cls = import_string(backend) if isinstance(backend, str) else None
    except ImportError:
        cls = None
    if cls is not None and callable(getattr(cls, "dial_out", None)):
        return []
    return [
        Error(
            f"TALK_CALLS['SIP_DIALOUT_BACKEND'] {backend!r} is not an importable class with a dial_out() method.",
            hint="Use e.g. 'talk_calls.sip.ConsoleDialOutBackend' or None.",
            id="talk_calls.E005",
        )
    ]


def _timeouts(value: dict) -> list[Error]:
    ping = value.get("SESSION_PING_TIMEOUT", DEFAULTS["SESSION_PING_TIMEOUT"])
    kill = value.get("SESSION_KILL_TIMEOUT", DEFAULTS["SESSION_KILL_TIMEOUT"])
    if isinstance(ping, int) and isinstance(kill, int) and kill < ping:
        return [
            Error(
                "TALK_CALLS['SESSION_KILL_TIMEOUT'] must not be shorter than SESSION_PING_TIMEOUT.",
                id="talk_calls.E006",
            )
        ]
    return []


def _guest_users_group(value: dict) -> list[Error]:
    if isinstance(value.get("GUEST_USERS_GROUP", DEFAULTS["GUEST_USERS_GROUP"]), str):
        return []
    return [Error("TALK_CALLS['GUEST_USERS_GROUP'] must be a group name.", id="talk_calls.E007")]


def _client_address_header(value: dict) -> list[Error]:
    header = value.get("CLIENT_ADDRESS_HEADER", DEFAULTS["CLIENT_ADDRESS_HEADER"])
    if header is None or (isinstance(header, str) and header.startswith("HTTP_")):
        return []
    return [
        Error(
            f"TALK_CALLS['CLIENT_ADDRESS_HEADER'] must be a request.META header key or None, not {header!r}.",
            hint="For example 'HTTP_X_FORWARDED_FOR', set only behind a proxy that writes that header.",
            id="talk_calls.E010",
        )
    ]


def _throttles(value: dict) -> list[Error]:
    errors = []
    throttles = value.get("THROTTLES", {})
    if not isinstance(throttles, dict):
        return [Error("TALK_CALLS['THROTTLES'] must be a dict of scope: 'N/seconds'.", id="talk_calls.E011")]
    for scope, rate in throttles.items():
        try:
            known = scope in DEFAULT_RATES
            parse_rate(rate)
        except (TypeError, ValueError):
            known = False
        if not known:
            errors.append(
                Error(
                    f"TALK_CALLS['THROTTLES'][{scope!r}] = {rate!r} is not a known scope with a rate 'N/seconds' or None.",
                    hint=f"Scopes: {', '.join(sorted(DEFAULT_RATES))}.",
                    id="talk_calls.E011",
                )
            )
    alias = value.get("THROTTLE_CACHE", "default")
    if alias not in getattr(settings, "CACHES", {"default": {}}):
        errors.append(Error(f"TALK_CALLS['THROTTLE_CACHE'] {alias!r} is not in CACHES.", id="talk_calls.E012"))
    return errors


def _ice_servers(value: dict) -> list[Error]:
    return [
        Error(message, hint="See talk_calls/signaling/ice.py.", id="talk_calls.E020")
        for message in ice.configuration_errors()
    ]


def _signaling_mode(value: dict) -> list:
    mode = value.get("SIGNALING_MODE", "external")
    if mode in MODES:
        return []
    return [
        Error(
            f"TALK_CALLS['SIGNALING_MODE'] must be one of {', '.join(MODES)}, not {mode!r}.",
            id="talk_calls.E021",
        )
    ]


def _signaling_server_list(value: dict) -> list:
    servers = value.get("SIGNALING_SERVERS", [])
    return list(servers) if isinstance(servers, (list, tuple)) else [servers]


def _signaling_servers(value: dict) -> list:
    return [
        Error(
            f"TALK_CALLS['SIGNALING_SERVERS'][{index}] {problem}.",
            hint='Use [{"server": "https://signaling.example.com", "verify": True}, ...].',
            id="talk_calls.E022",
        )
        for index, entry in enumerate(_signaling_server_list(value))
        if (problem := server_error(entry))
    ]


def _signaling_secret(value: dict) -> list:
    secret = value.get("SIGNALING_SECRET", "")
    if isinstance(secret, str) and not (_signaling_server_list(value) and len(secret) < 16):
        return []
    return [
        Error(
            "TALK_CALLS['SIGNALING_SECRET'] must be a string of at least 16 characters when signaling servers are set.",
            hint="Use the secret of the app's backend section in the signaling server's server.conf.",
            id="talk_calls.E023",
        )
    ]


def _signaling_backend_url(value: dict) -> list:
    url = value.get("SIGNALING_BACKEND_URL", "")
    if isinstance(url, str) and (not url or url.startswith(("http://", "https://"))):
        return []
    return [
        Error(
            "TALK_CALLS['SIGNALING_BACKEND_URL'] must be empty or the app's http(s):// base URL.",
            hint="The URL the signaling server's backend section names (its 'url').",
            id="talk_calls.E024",
        )
    ]


def _signaling_token_key(value: dict) -> list:
    problem = tokens.key_error(
        value.get("SIGNALING_TOKEN_PRIVATE_KEY", ""), value.get("SIGNALING_TOKEN_ALGORITHM", "ES256")
    )
    if problem is None:
        return []
    return [
        Error(
            f"TALK_CALLS hello v2 token key: {problem}.",
            hint="Make one with: manage.py talk_calls_hpb_config token-key [--algorithm ES256]; or leave it empty.",
            id="talk_calls.E025",
        )
    ]


_SETTING_CHECKS = (
    _unknown_keys,
    _integer_ranges,
    _start_calls_groups,
    _dialout_backend,
    _timeouts,
    _guest_users_group,
    _client_address_header,
    _throttles,
    _ice_servers,
    _signaling_mode,
    _signaling_servers,
    _signaling_secret,
    _signaling_backend_url,
    _signaling_token_key,
)


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    """Validate ``settings.TALK_CALLS`` (E001 ... E007, E010 ... E012, E020 ... E025)."""
    value = getattr(settings, "TALK_CALLS", {})  # not app_settings: its validation is this check's job
    if not isinstance(value, dict):
        return [Error("TALK_CALLS must be a dict.", hint="Set TALK_CALLS = {...} or remove it.", id="talk_calls.E001")]
    return [error for check in _SETTING_CHECKS for error in check(value)]


_PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, deploy=True)
def check_throttle_cache(app_configs=None, **kwargs):
    """Warn when throttles are counted in a cache that each process keeps for itself."""
    value = getattr(settings, "TALK_CALLS", {})
    alias = value.get("THROTTLE_CACHE", "default") if isinstance(value, dict) else "default"
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    if backend in _PROCESS_LOCAL_CACHES:
        return [
            Warning(
                f"The throttle cache {alias!r} ({backend.rsplit('.', 1)[-1]}) is not shared between worker processes.",
                hint="Use the database, Redis or Memcached cache, or each worker counts password guesses on its own.",
                id="talk_calls.W001",
            )
        ]
    return []


_REQUIRED_MIDDLEWARE = [
    (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "Talk sessions live in the Django session (the cookie clients keep).",
        "talk_calls.E008",
    ),
    (
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "Browsers are identified by Django's login (request.user).",
        "talk_calls.E009",
    ),
]


@register(Tags.compatibility)
def check_middleware(app_configs=None, **kwargs):
    """Require the session and authentication middleware the app reads."""
    installed = list(getattr(settings, "MIDDLEWARE", None) or [])
    errors = []
    for path, why, check_id in _REQUIRED_MIDDLEWARE:
        if path not in installed:
            errors.append(Error(f"talk_calls needs {path} in MIDDLEWARE.", hint=why, id=check_id))
    return errors
