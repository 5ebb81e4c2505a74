"""Capabilities (reference section 6) reflecting TALK_CALLS, for v1 and v2."""

import pytest
from django.urls import get_resolver, resolve, reverse

from talk_calls.capabilities import FEATURE_ENDPOINTS, SUPPORTED_REACTIONS
from talk_calls.constants import RecordingConsent, StartCalls
from tests.factories import AttendeeFactory, PhoneAttendeeFactory, RoomFactory
from tests.helpers import OCSClient, ocs_data

pytestmark = pytest.mark.django_db

#: Features the issue found advertised without endpoints (nc-py-api offers a method for each).
NOT_SERVED = ["chat-v2", "favorites", "notification-levels", "avatar", "talk-polls", "bots-v1", "federation-v1"]


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
    assert spreed["features"] == list(FEATURE_ENDPOINTS)
    assert spreed["features-local"] == ["call-notification-state-api"]
    assert set(spreed["features-local"]) <= set(spreed["features"])
    assert not set(NOT_SERVED) & set(spreed["features"])
    assert set(spreed["config"]) >= {"attachments", "call", "chat", "conversations", "federation"}
    assert set(spreed["config-local"]) == set(spreed["config"])
    assert isinstance(spreed["version"], str)


def test_defaults(client_for):
    config = call_config(client_for())
    assert config["enabled"] is True
    assert config["recording-consent"] == RecordingConsent.NOT_REQUIRED
    assert config["max-duration"] == 0
    assert config["sip-dialout-enabled"] is False
    # Reactions travel over signaling, which is served: the reaction button shows.
    assert config["supported-reactions"] == SUPPORTED_REACTIONS
    assert config["breakout-rooms"] is False and config["recording"] is False


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


def test_signaling_config_only_with_signaling(client_for):
    spreed = capabilities(client_for())["capabilities"]["spreed"]
    assert ("signaling" in spreed["config"]) == ("signaling-v3" in spreed["features"])


def served_url_names():
    return {pattern.name for pattern in get_resolver("talk_calls.urls").url_patterns if pattern.name}


@pytest.mark.parametrize(("feature", "url_names"), list(FEATURE_ENDPOINTS.items()))
def test_every_advertised_feature_has_its_endpoints(user, feature, url_names):
    """Each URL name of a feature resolves, and a request to it reaches that endpoint (not the catch-all)."""
    room = RoomFactory(public=True, with_call=True)
    AttendeeFactory(room=room, user=user, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    client = OCSClient(user)
    client.join_room(room.token)
    values = {"token": room.token, "attendee_id": phone.pk, "mode": "default"}
    for name in url_names:
        assert name in served_url_names(), (feature, name)
        pattern = next(p for p in get_resolver("talk_calls.urls").url_patterns if p.name == name)
        kwargs = {key: values[key] for key in pattern.pattern.regex.groupindex}
        path = reverse(f"talk_calls:{name}", kwargs=kwargs)
        match = resolve(path)
        assert match.url_name == name, (feature, path)
        # A plain (async) function view, the signaling pull/send: POST answers at once.
        view_class = getattr(match.func, "view_class", None)
        methods = getattr(match.func, "actions", None) or (vars(view_class) if view_class else {"post": None})
        method = next(m for m in ("get", "put", "post", "delete") if m in methods)
        response = client.ocs(method.upper(), path)
        assert response.resolver_match.url_name == name, (feature, path)
        assert response.status_code not in (405, 500), (feature, path, response.status_code)
        assert response["Content-Type"].startswith(("application/json", "text/csv")), (feature, path)
