"""Conversation endpoints in the smallest host project (fresh process each), also with a user
model that has no names and no groups (``AbstractBaseUser`` only, README "Installing")."""

import pytest

from tests.minimal_host import SETTINGS_MODULES, run_smoke


@pytest.mark.parametrize("settings_module", SETTINGS_MODULES)
def test_minimal_host_creates_and_lists_rooms(settings_module):
    answers = run_smoke("rooms_smoke", settings_module)
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
