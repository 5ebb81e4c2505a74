"""GET signaling/settings, the v1 ticket, STUN/TURN credentials and the capabilities that announce them."""

import base64
import hashlib
import hmac
import time

import pytest

from talk_calls.checks import check_settings
from talk_calls.signaling.tickets import check_ticket, make_ticket
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import OCSClient, ocs_data

SETTINGS = "/ocs/v2.php/apps/spreed/api/v3/signaling/settings"
TURN_SECRET = "turn-shared-secret"


def test_a_user_gets_internal_mode_with_a_ticket_for_their_room(db):
    attendee = AttendeeFactory(room=RoomFactory())
    username = attendee.user.get_username()
    response = OCSClient(attendee.user).get(SETTINGS, {"token": attendee.room.token})
    assert response.status_code == 200
    data = ocs_data(response)
    assert data["signalingMode"] == "internal"
    assert data["userId"] == username
    assert data["server"] == "" and data["hideWarning"] is False
    assert data["helloAuthParams"]["1.0"] == {"userid": username, "ticket": data["ticket"]}
    assert check_ticket(username, data["ticket"])
    assert data["federation"] is None and data["sipDialinInfo"] == ""
    assert data["stunservers"] == [] and data["turnservers"] == []


def test_a_guest_gets_settings_of_a_public_room_and_a_guest_ticket(db):
    room = RoomFactory(public=True)
    data = ocs_data(OCSClient().get(SETTINGS, {"token": room.token}))
    assert data["userId"] is None
    assert data["helloAuthParams"]["1.0"]["userid"] is None
    assert check_ticket(None, data["ticket"])
    assert not check_ticket("alice", data["ticket"])


@pytest.mark.parametrize("token", ["nosuchroom", "UPPER", "a" * 40, "bad token"])
def test_an_unknown_or_malformed_room_is_a_404_null(db, token):
    response = OCSClient().get(SETTINGS, {"token": token})
    assert response.status_code == 404
    assert ocs_data(response) is None


def test_a_private_room_is_a_404_for_a_guest_and_a_user_who_is_not_in_it(db, user):
    room = RoomFactory()
    assert OCSClient().get(SETTINGS, {"token": room.token}).status_code == 404
    assert OCSClient(user).get(SETTINGS, {"token": room.token}).status_code == 404


def test_without_a_token_settings_still_answer(db):
    response = OCSClient().get(SETTINGS)
    assert response.status_code == 200
    assert ocs_data(response)["signalingMode"] == "internal"


def test_tickets_are_bound_to_the_user_and_the_site_key(settings):
    ticket = make_ticket("alice")
    random_part, timestamp, user_id, signature = ticket.split(":")
    assert len(random_part) == 16 and abs(int(timestamp) - time.time()) < 5 and user_id == "alice"
    assert len(signature) == 64
    assert check_ticket("alice", ticket)
    assert not check_ticket("bob", ticket)
    assert not check_ticket("alice", ticket[:-1] + ("0" if ticket[-1] != "0" else "1"))
    assert not check_ticket("alice", "garbage")
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert not check_ticket("alice", ticket)


def test_stun_and_turn_servers_with_turn_rest_credentials(db, settings):
    settings.TALK_CALLS = {
        "STUN_SERVERS": ["stun.example.org:3478", "stun2.example.org:443"],
        "TURN_SERVERS": [
            {"server": "turn.example.org:3478", "secret": TURN_SECRET, "schemes": "turn,turns", "protocols": "udp"},
            {"server": "fixed.example.org:443", "username": "u", "password": "p", "protocols": "tcp"},
        ],
    }
    data = ocs_data(OCSClient().get(SETTINGS))
    assert data["stunservers"] == [{"urls": ["stun:stun.example.org:3478", "stun:stun2.example.org:443"]}]
    rest, fixed = data["turnservers"]
    assert rest["urls"] == ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:3478?transport=udp"]
    expiry, random_part = rest["username"].split(":")
    assert 86400 - 5 < int(expiry) - time.time() <= 86400 and len(random_part) == 16
    # coturn's use-auth-secret check: base64(HMAC-SHA1(secret, username)).
    expected = base64.b64encode(hmac.new(TURN_SECRET.encode(), rest["username"].encode(), hashlib.sha1).digest())
    assert rest["credential"] == expected.decode()
    assert fixed == {"urls": ["turn:fixed.example.org:443?transport=tcp"], "username": "u", "credential": "p"}


def test_bad_ice_settings_fail_the_system_check(settings):
    settings.TALK_CALLS = {"STUN_SERVERS": "stun.example.org", "TURN_SERVERS": [{"secret": "s"}]}
    ids = [e.id for e in check_settings()]
    assert ids.count("talk_calls.E020") == 2


def test_capabilities_announce_signaling_v3_and_the_signaling_config(db):
    data = ocs_data(OCSClient().get("/ocs/v2.php/cloud/capabilities"))
    spreed = data["capabilities"]["spreed"]
    assert "signaling-v3" in spreed["features"]
    assert spreed["config"]["signaling"]["session-ping-limit"] == 200
    assert "hello-v2-token-key" in spreed["config"]["signaling"]


@pytest.mark.parametrize("path", ["welcome/1"])
def test_the_reserved_words_are_not_rooms(db, path):
    response = OCSClient().post(f"/ocs/v2.php/apps/spreed/api/v3/signaling/{path}")
    assert response.status_code == 404 and ocs_data(response) == []


def test_backend_is_the_signaling_servers_endpoint_not_a_room(db):
    response = OCSClient().post("/ocs/v2.php/apps/spreed/api/v3/signaling/backend")
    assert response.status_code == 200 and ocs_data(response)["error"]["code"] == "invalid_request"
