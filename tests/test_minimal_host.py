"""The app works in the smallest host project the README describes (fresh process each),
with Django's user model and with a user model that has no names and no groups."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from talk_calls.constants import SESSION_ID_LENGTH, ActorType, ParticipantType

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("settings_module", ["tests.minimal_host.settings", "tests.minimal_host.settings_custom_user"])
def test_minimal_host_migrates_checks_and_serves_joins(settings_module):
    result = subprocess.run(
        [sys.executable, "-m", "tests.minimal_host.smoke", settings_module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert {name: answer["status"] for name, answer in answers.items()} == {
        "join": 200,
        "self_join": 200,
        "call": 200,
        "user": 200,
        "capabilities": 200,
    }
    joined = answers["join"]["body"]["ocs"]["data"]
    assert len(joined["sessionId"]) == SESSION_ID_LENGTH
    assert joined["actorType"] == ActorType.USERS and joined["actorId"] == "host-user@example.com"
    assert answers["self_join"]["body"]["ocs"]["data"]["participantType"] == ParticipantType.USER_SELF_JOINED
    user = answers["user"]["body"]["ocs"]["data"]
    assert user["id"] == user["displayname"] == "host-user@example.com"
