"""Capabilities (reference section 6) reflecting TALK_CALLS, for v1 and v2."""

import pytest

from talk_calls.constants import RecordingConsent, StartCalls
from tests.helpers import ocs_data

pytestmark = pytest.mark.django_db

CALL_FEATURES = [
    "audio",
    "video",
    "in-call-flags",
    "conversation-call-flags",
    "start-call-flag",
    "webinary-lobby",
    "read-only-rooms",
    "publishing-permissions",
    "conversation-permissions",
    "force-mute",
    "raise-hand",
    "sip-support",
    "sip-support-nopin",
    "sip-support-dialout",
    "signaling-v3",
    "notification-calls",
    "silent-call",
    "send-call-notification",
    "breakout-rooms-v1",
    "recording-v1",
    "recording-consent",
    "session-state",
    "download-call-participants",
    "conversation-v4",
    "chat-permission",
]


def capabilities(client, version=2):
    return ocs_data(client.get(f"/ocs/v{version}.php/cloud/capabilities"))


def call_config(client):
    return capabilities(client)["capabilities"]["spreed"]["config"]["call"]


@pytest.mark.parametrize("version", [1, 2])
def test_version_and_spreed_shape(client_for, version):
    data = capabilities(client_for(), version)
    assert set(data["version"]) >= {"major", "minor", "micro", "string", "extendedSupport"}
    assert isinstance(data["version"]["major"], int)
    spreed = data["capabilities"]["spreed"]
    assert set(CALL_FEATURES) <= set(spreed["features"])
    assert "call-notification-state-api" in spreed["features-local"]
    assert "sip-direct-dialin" in spreed["features-local"]
    assert set(spreed["config"]) >= {"attachments", "call", "chat", "conversations", "federation", "signaling"}
    assert spreed["config"]["signaling"]["session-ping-limit"] == 200
    assert isinstance(spreed["version"], str)


def test_defaults(client_for):
    config = call_config(client_for())
    assert config["enabled"] is True
    assert config["recording-consent"] == RecordingConsent.NOT_REQUIRED
    assert config["max-duration"] == 0
    assert config["sip-dialout-enabled"] is False
    assert len(config["supported-reactions"]) == 12


def test_calls_disabled(client_for, settings):
    settings.TALK_CALLS = {"START_CALLS": StartCalls.DISABLED}
    assert call_config(client_for())["enabled"] is False


@pytest.mark.parametrize("policy", [StartCalls.EVERYONE, StartCalls.USERS, StartCalls.MODERATORS])
def test_calls_enabled_under_other_policies(client_for, settings, policy):
    settings.TALK_CALLS = {"START_CALLS": policy}
    assert call_config(client_for())["enabled"] is True


@pytest.mark.parametrize("value", [RecordingConsent.REQUIRED, RecordingConsent.OPTIONAL])
def test_recording_consent(client_for, settings, value):
    settings.TALK_CALLS = {"RECORDING_CONSENT": value}
    assert call_config(client_for())["recording-consent"] == value


def test_max_duration(client_for, settings):
    settings.TALK_CALLS = {"MAX_CALL_DURATION": 3600}
    assert call_config(client_for())["max-duration"] == 3600


def test_dial_out_backend(client_for, settings):
    settings.TALK_CALLS = {"SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend"}
    config = call_config(client_for())
    assert config["sip-dialout-enabled"] is True
    assert config["sip-enabled"] is True


def test_can_create_is_for_users_only(client_for, user):
    anonymous = capabilities(client_for())["capabilities"]["spreed"]["config"]["conversations"]
    logged_in = capabilities(client_for(user))["capabilities"]["spreed"]["config"]["conversations"]
    assert anonymous["can-create"] is False
    assert logged_in["can-create"] is True
