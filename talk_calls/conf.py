"""The app's settings: a lazy view of ``settings.TALK_CALLS`` with defaults (CONTRACT section 6).

Read values when they are used (``app_settings.START_CALLS`` inside a function), never at
import time, so ``override_settings(TALK_CALLS=...)`` takes effect at once.
"""

from django.conf import settings

DEFAULTS = {
    "START_CALLS": 0,
    "START_CALLS_GROUPS": [],
    "DEFAULT_PERMISSIONS": 0,
    "RECORDING_CONSENT": 0,
    "SIP_DIALOUT_BACKEND": None,
    "SESSION_PING_TIMEOUT": 30,
    "SESSION_KILL_TIMEOUT": 100,
    # Seconds a process reuses the encoded peer list of GET /call while nothing changed in
    # the call (talk_calls/peerlist.py); 0: read it on every request.
    "PEER_LIST_MAX_AGE": 5,
    "MAX_CALL_DURATION": 0,
    "GUEST_USERS_GROUP": "guest_app",
    # The request.META key of a header a trusted proxy sets to the client's address
    # (e.g. "HTTP_X_FORWARDED_FOR"); None: REMOTE_ADDR. For the admin's session list and the throttles.
    "CLIENT_ADDRESS_HEADER": None,
    # Internal signaling (talk-signaling section D): "host:port" strings, and dicts
    # {"server": "host:port", "secret": ..., "schemes": "turn", "protocols": "udp,tcp"}
    # (or a fixed "username"/"password" instead of "secret").
    "STUN_SERVERS": [],
    "TURN_SERVERS": [],
    # External signaling (the High-Performance Backend, talk-signaling.md section C).
    "SIGNALING_MODE": "external",
    "SIGNALING_SERVERS": [],
    "SIGNALING_SECRET": "",
    "SIGNALING_BACKEND_URL": "",
    # Hello v2 tokens (JWT) for signaling servers of upstream 1.0.0 or newer: a PEM private
    # key of the algorithm; empty: only hello v1 tickets (all Debian's 0.4.1 speaks).
    "SIGNALING_TOKEN_PRIVATE_KEY": "",
    "SIGNALING_TOKEN_ALGORITHM": "ES256",
    # Hardening (issue 11): see talk_calls/throttling.py and README "Settings".
    "THROTTLES": {},
    "THROTTLE_CACHE": "default",
    "PASSWORD_HASH_CONCURRENCY": 2,
    "PASSWORD_HASH_WAIT": 10,
    "MAX_GUESTS_PER_ROOM": 100,
    "DIALOUT_TIMEOUT": 60,
}


class AppSettings:
    """Attribute access to ``TALK_CALLS`` keys, falling back to ``DEFAULTS``."""

    def user_settings(self) -> dict:
        value = getattr(settings, "TALK_CALLS", None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name: str):
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown talk_calls setting: {name}")
        return self.user_settings().get(name, DEFAULTS[name])


app_settings = AppSettings()
