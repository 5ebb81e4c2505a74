"""The ``spreed`` capabilities (reference section 6) and the server version clients read.

Computed from ``TALK_CALLS`` on every call, so settings changes show at once. Clients
believe the feature list (nc-py-api, for one, offers a method per feature), so it names
exactly the features whose endpoints this app serves (CONTRACT section 8), each with its
URL names in ``FEATURE_ENDPOINTS``, and the ``config`` values agree with it.
"""

import hashlib
import json

from .conf import DEFAULTS, app_settings
from .constants import StartCalls

#: The Nextcloud server version this app answers like (Talk 21 = Nextcloud 31).
SERVER_VERSION = {
    "major": 31,
    "minor": 0,
    "micro": 0,
    "string": "31.0.0",
    "edition": "",
    "extendedSupport": False,
}
TALK_VERSION = "21.1.0"

#: Every advertised feature and the URL names (``talk_calls.urls``) of the endpoints that
#: serve it, checked by ``tests/test_capabilities.py``: each name resolves and answers.
#: A feature goes in here only with its endpoints (``docs/capabilities.md`` of the
#: reference says what each one promises); adding a feature is one line. Chat, favorites,
#: notification levels, avatars, polls, bots, breakout rooms, recording and federation are
#: not served, so they are not advertised.
FEATURE_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "audio": ("call",),
    "video": ("call",),
    "conversation-v4": ("rooms", "room", "participants", "participants-self", "attendees", "moderators"),
    "empty-group-room": ("rooms",),
    "guest-display-names": ("guest-name",),
    "multi-room-users": ("participants-active",),
    "last-room-activity": ("rooms",),
    # The v4 API has no ping endpoint: joining the room and the call endpoints refresh last_ping.
    "no-ping": ("participants-active", "call"),
    "in-call-flags": ("call",),
    "conversation-call-flags": ("room",),
    "locked-one-to-one-rooms": ("rooms", "participants"),
    "read-only-rooms": ("read-only",),
    "webinary-lobby": ("lobby",),
    "start-call-flag": ("room", "call"),
    "publishing-permissions": ("attendee-permissions",),
    "conversation-permissions": ("default-permissions", "attendee-permissions", "attendee-permissions-all"),
    "silent-call": ("call",),
    "send-call-notification": ("call-ring",),
    "session-state": ("participants-state",),
    "recording-consent": ("recording-consent", "call"),
    "sip-support-dialout": ("call-dialout",),
    "download-call-participants": ("call-download",),
    "conversation-creation-password": ("rooms", "public", "password"),
    "call-notification-state-api": ("call-notification-state",),
    # Internal signaling (views/signaling.py): settings, send and pull, guests included;
    # moderators' force-mute control messages and raised hands travel over it.
    "signaling-v3": ("signaling-settings", "signaling"),
    "guest-signaling": ("signaling-settings", "signaling"),
    "force-mute": ("signaling",),
    "raise-hand": ("signaling",),
}

#: The advertised features that are "local" (not taken from a federated server).
LOCAL_FEATURES = ["call-notification-state-api"]

#: Call reactions travel over signaling: listed only while a signaling feature is served
#: (an empty list tells clients to hide the reaction button).
SUPPORTED_REACTIONS = ["❤️", "🎉", "👏", "👋", "👍", "👎", "🔥", "😂", "🤩", "🤔", "😲", "😥"]


def serves_signaling() -> bool:
    """Return whether the signaling API is served (``signaling-v3`` advertised)."""
    return "signaling-v3" in FEATURE_ENDPOINTS


def call_config(*, is_user: bool) -> dict:
    """Return ``config.call`` for the current settings."""
    return {
        "enabled": app_settings.START_CALLS != StartCalls.DISABLED,
        "breakout-rooms": False,
        "recording": False,
        "recording-consent": app_settings.RECORDING_CONSENT if app_settings.RECORDING_CONSENT in (0, 1, 2) else 0,
        "supported-reactions": list(SUPPORTED_REACTIONS) if serves_signaling() else [],
        "predefined-backgrounds": [],
        "predefined-backgrounds-v2": [],
        "can-upload-background": False,
        # The reference needs sip-enabled for dial-out; with a backend both are on.
        "sip-enabled": bool(app_settings.SIP_DIALOUT_BACKEND),
        "sip-dialout-enabled": bool(app_settings.SIP_DIALOUT_BACKEND),
        "can-enable-sip": False,
        "start-without-media": False,
        "max-duration": int(app_settings.MAX_CALL_DURATION or 0),
        "blur-virtual-background": False,
        "end-to-end-encryption": False,
        "live-transcription": False,
    }


def spreed_capabilities(*, is_user: bool) -> dict:
    """Return the ``spreed`` capabilities object: the served features and their settings.

    ``config.signaling`` (the signaling settings) is present only while signaling is served.
    """
    config = {
        "attachments": {"allowed": False},
        "call": call_config(is_user=is_user),
        # No chat endpoint is served; the chat settings stay for clients that read them.
        "chat": {
            "max-length": 32000,
            "read-privacy": 0,
            "has-translation-providers": False,
            "typing-privacy": 0,
            "summary-threshold": 100,
        },
        "conversations": {"can-create": is_user, "force-passwords": False, "list-style": "two-lines"},
        "federation": {
            "enabled": False,
            "incoming-enabled": False,
            "outgoing-enabled": False,
            "only-trusted-servers": True,
        },
        "previews": {"max-gif-size": 3145728},
        "experiments": {"enabled": 0},
    }
    config_local = {
        "attachments": [],
        "call": ["predefined-backgrounds", "can-upload-background", "start-without-media", "blur-virtual-background"],
        "chat": ["read-privacy", "has-translation-providers", "typing-privacy"],
        "conversations": ["list-style"],
        "federation": [],
        "previews": [],
        "experiments": [],
    }
    if serves_signaling():
        config["signaling"] = {"session-ping-limit": 200, "hello-v2-token-key": ""}
        config_local["signaling"] = []
    return {
        "features": list(FEATURE_ENDPOINTS),
        "features-local": list(LOCAL_FEATURES),
        "config": config,
        "config-local": config_local,
        "version": TALK_VERSION,
    }


def config_hash() -> str:
    """Return the ``X-Nextcloud-Talk-Hash`` value: sha1 over the settings clients cache."""
    values = {key: getattr(app_settings, key) for key in DEFAULTS}
    text = json.dumps([SERVER_VERSION["string"], TALK_VERSION, values], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()
