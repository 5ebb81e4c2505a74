"""GET signaling/settings in external mode (talk-signaling C1), and the internal endpoints'
400 while a signaling server (HPB) is configured (section 0)."""

import pytest

from talk_calls.hpb.servers import server_for_room
from talk_calls.signaling.tickets import check_ticket
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import OCSClient, ocs_data

SETTINGS = "/ocs/v2.php/apps/spreed/api/v3/signaling/settings"
SECRET = "external-mode-secret-0123456789"
ONE = [{"server": "https://signaling.example/", "verify": True}]
TWO = [{"server": "wss://one.example", "verify": True}, {"server": "wss://two.example", "verify": False}]


def test_one_server_gives_external_mode_its_url_and_a_hello_v1_ticket(db, settings):
    settings.TALK_CALLS = {"SIGNALING_SERVERS": ONE, "SIGNALING_SECRET": SECRET}
    attendee = AttendeeFactory(room=RoomFactory())
    username = attendee.user.get_username()
    data = ocs_data(OCSClient(attendee.user).get(SETTINGS, {"token": attendee.room.token}))
    assert data["signalingMode"] == "external"
    assert data["server"] == "https://signaling.example/" and data["hideWarning"] is True
    assert data["helloAuthParams"] == {"1.0": {"userid": username, "ticket": data["ticket"]}}
    assert check_ticket(username, data["ticket"])
    assert "2.0" not in data["helloAuthParams"]  # Debian's 0.4.1 knows hello 1.0 only


def test_conversation_cluster_hands_out_the_server_of_each_room(db, settings):
    settings.TALK_CALLS = {
        "SIGNALING_SERVERS": TWO,
        "SIGNALING_SECRET": SECRET,
        "SIGNALING_MODE": "conversation_cluster",
    }
    rooms = [RoomFactory(public=True) for _ in range(12)]
    served = {}
    for room in rooms:
        data = ocs_data(OCSClient().get(SETTINGS, {"token": room.token}))
        assert data["signalingMode"] == "conversation_cluster"
        assert data["server"] == server_for_room(room.token).url
        assert check_ticket(None, data["ticket"])
        served.setdefault(data["server"], []).append(room.token)
    assert set(served) == {"wss://one.example", "wss://two.example"}


def test_a_missing_secret_keeps_internal_mode(db, settings):
    settings.TALK_CALLS = {"SIGNALING_SERVERS": ONE}
    room = RoomFactory(public=True)
    assert ocs_data(OCSClient().get(SETTINGS, {"token": room.token}))["signalingMode"] == "internal"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_internal_signaling_answers_400_in_external_mode(db, settings, method):
    settings.TALK_CALLS = {"SIGNALING_SERVERS": ONE, "SIGNALING_SECRET": SECRET}
    attendee = AttendeeFactory(room=RoomFactory())
    client = OCSClient(attendee.user)
    assert client.join_room(attendee.room.token).status_code == 200
    path = f"/ocs/v2.php/apps/spreed/api/v3/signaling/{attendee.room.token}"
    response = client.ocs(method, path, {"messages": "[]"} if method == "POST" else None)
    assert response.status_code == 400
    assert ocs_data(response) == "Internal signaling disabled."
