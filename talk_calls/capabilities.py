"""The ``spreed`` capabilities (reference section 6) and the server version clients read.

Computed from ``TALK_CALLS`` on every call, so settings changes show at once. Features
name what a Talk client may use; the call-relevant ones of reference section 6.2 are all
present.
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

FEATURES = [
    "audio",
    "video",
    "chat-v2",
    "conversation-v4",
    "guest-signaling",
    "empty-group-room",
    "guest-display-names",
    "multi-room-users",
    "favorites",
    "last-room-activity",
    "no-ping",
    "system-messages",
    "delete-messages",
    "mention-flag",
    "in-call-flags",
    "conversation-call-flags",
    "notification-levels",
    "invite-groups-and-mails",
    "locked-one-to-one-rooms",
    "read-only-rooms",
    "listable-rooms",
    "chat-read-marker",
    "chat-unread",
    "webinary-lobby",
    "start-call-flag",
    "chat-replies",
    "circles-support",
    "force-mute",
    "raise-hand",
    "sip-support",
    "sip-support-nopin",
    "sip-support-dialout",
    "publishing-permissions",
    "clear-history",
    "direct-mention-flag",
    "notification-calls",
    "conversation-permissions",
    "rich-object-list-media",
    "rich-object-delete",
    "unified-search",
    "chat-permission",
    "silent-send",
    "silent-call",
    "send-call-notification",
    "talk-polls",
    "breakout-rooms-v1",
    "recording-v1",
    "avatar",
    "chat-get-context",
    "single-conversation-status",
    "chat-keep-notifications",
    "typing-privacy",
    "remind-me-later",
    "bots-v1",
    "markdown-messages",
    "media-caption",
    "session-state",
    "note-to-self",
    "recording-consent",
    "sip-direct-dialin",
    "delete-messages-unlimited",
    "edit-messages",
    "silent-send-state",
    "chat-read-last",
    "federation-v1",
    "ban-v1",
    "chat-reference-id",
    "mention-permissions",
    "signaling-v3",
    "download-call-participants",
    "call-notification-state-api",
    "important-conversations",
    "sensitive-conversations",
]

FEATURES_LOCAL = [
    "favorites",
    "chat-read-marker",
    "listable-rooms",
    "phonebook-search",
    "temp-user-avatar-api",
    "unified-search",
    "avatar",
    "remind-me-later",
    "note-to-self",
    "archived-conversations-v2",
    "chat-summary-api",
    "call-notification-state-api",
    "sip-direct-dialin",
]

SUPPORTED_REACTIONS = ["❤️", "🎉", "👏", "👋", "👍", "👎", "🔥", "😂", "🤩", "🤔", "😲", "😥"]


def call_config(*, is_user: bool) -> dict:
    """Return ``config.call`` for the current settings."""
    return {
        "enabled": app_settings.START_CALLS != StartCalls.DISABLED,
        "breakout-rooms": False,
        "recording": False,
        "recording-consent": app_settings.RECORDING_CONSENT if app_settings.RECORDING_CONSENT in (0, 1, 2) else 0,
        "supported-reactions": SUPPORTED_REACTIONS,
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
    """Return the ``spreed`` capabilities object."""
    return {
        "features": list(FEATURES),
        "features-local": list(FEATURES_LOCAL),
        "config": {
            "attachments": {"allowed": False},
            "call": call_config(is_user=is_user),
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
            "signaling": {"session-ping-limit": 200, "hello-v2-token-key": ""},
            "experiments": {"enabled": 0},
        },
        "config-local": {
            "attachments": [],
            "call": [
                "predefined-backgrounds",
                "can-upload-background",
                "start-without-media",
                "blur-virtual-background",
            ],
            "chat": ["read-privacy", "has-translation-providers", "typing-privacy"],
            "conversations": ["list-style"],
            "federation": [],
            "previews": [],
            "signaling": [],
            "experiments": [],
        },
        "version": TALK_VERSION,
    }


def config_hash() -> str:
    """Return the ``X-Nextcloud-Talk-Hash`` value: sha1 over the settings clients cache."""
    values = {key: getattr(app_settings, key) for key in DEFAULTS}
    text = json.dumps([SERVER_VERSION["string"], TALK_VERSION, values], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()
