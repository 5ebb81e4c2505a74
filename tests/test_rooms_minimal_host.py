"""Conversation endpoints in the smallest host project (fresh process each), also with a user
model that has no names and no groups (``AbstractBaseUser`` only, README "Installing")."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("settings_module", ["tests.minimal_host.settings", "tests.minimal_host.settings_custom_user"])
def test_minimal_host_creates_and_lists_rooms(settings_module):
    result = subprocess.run(
        [sys.executable, "-m", "tests.minimal_host.rooms_smoke", settings_module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert {name: answer["status"] for name, answer in answers.items()} == {
        "create": 201,
        "one_to_one": 201,
        "add": 200,
        "participants": 200,
        "rooms": 200,
    }
    one_to_one = answers["one_to_one"]["body"]["ocs"]["data"]
    assert one_to_one["name"] == "partner@example.com"
    names = {entry["actorId"]: entry["displayName"] for entry in answers["participants"]["body"]["ocs"]["data"]}
    assert set(names) == {"host-user@example.com", "partner@example.com"}
    assert len(answers["rooms"]["body"]["ocs"]["data"]) == 2
