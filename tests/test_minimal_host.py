"""The app works in the smallest host project the README describes (fresh process each),
with Django's user model and with a user model that has no names and no groups."""

import pytest

from talk_calls.constants import SESSION_ID_LENGTH, ActorType, ParticipantType
from tests.minimal_host import SETTINGS_MODULES, run_smoke


@pytest.mark.parametrize("settings_module", SETTINGS_MODULES)
def test_minimal_host_migrates_checks_and_serves_joins(settings_module):
    answers = run_smoke("smoke", settings_module)
    assert {name: answer["status"] for name, answer in answers.items()} == {
        "join": 200,
        "self_join": 200,
        "call": 200,
        "user": 200,
        "capabilities": 200,
        "openapi": 200,
        "docs": 200,
    }
    # The API description and its page work without drf-spectacular in INSTALLED_APPS or any setting.
    assert "/ocs/v2.php/apps/spreed/api/v4/call/{token}" in answers["openapi"]["body"]["paths"]
    assert 'src="/api/docs/redoc.standalone.js"' in answers["docs"]["body"]
    joined = answers["join"]["body"]["ocs"]["data"]
    assert len(joined["sessionId"]) == SESSION_ID_LENGTH
    assert joined["actorType"] == ActorType.USERS and joined["actorId"] == "host-user@example.com"
    assert answers["self_join"]["body"]["ocs"]["data"]["participantType"] == ParticipantType.USER_SELF_JOINED
    user = answers["user"]["body"]["ocs"]["data"]
    assert user["id"] == user["displayname"] == "host-user@example.com"
