"""External signaling settings: the mode, the server of a room, the system checks, and the
v1 tickets (talk-signaling.md sections 0, C1, C4)."""

import pytest

from talk_calls.checks import check_settings
from talk_calls.hpb.servers import SignalingServer, server_for_room, signaling_mode
from talk_calls.signaling.tickets import check_ticket, make_ticket

SECRET = "0123456789abcdef0123"
ONE = [{"server": "https://one.example/standalone-signaling/", "verify": True}]
TWO = ONE + [{"server": "wss://two.example", "verify": False}]


def configure(settings, **values):
    settings.TALK_CALLS = values


@pytest.mark.parametrize(
    ("values", "mode"),
    [
        ({}, "internal"),
        ({"SIGNALING_SERVERS": ONE}, "internal"),  # no secret: nothing could be verified
        ({"SIGNALING_SERVERS": ONE, "SIGNALING_SECRET": SECRET}, "external"),
        ({"SIGNALING_SERVERS": ONE, "SIGNALING_SECRET": SECRET, "SIGNALING_MODE": "internal"}, "internal"),
        ({"SIGNALING_SERVERS": ONE, "SIGNALING_SECRET": SECRET, "SIGNALING_MODE": "conversation_cluster"}, "external"),
        ({"SIGNALING_SERVERS": TWO, "SIGNALING_SECRET": SECRET}, "external"),
        (
            {"SIGNALING_SERVERS": TWO, "SIGNALING_SECRET": SECRET, "SIGNALING_MODE": "conversation_cluster"},
            "conversation_cluster",
        ),
    ],
)
def test_the_mode_is_chosen_like_the_reference(settings, values, mode):
    configure(settings, **values)
    assert signaling_mode() == mode


def test_conversation_cluster_pins_each_room_and_spreads_rooms(settings):
    configure(settings, SIGNALING_SERVERS=TWO, SIGNALING_SECRET=SECRET, SIGNALING_MODE="conversation_cluster")
    tokens = [f"room{i:04d}" for i in range(40)]
    chosen = {token: server_for_room(token) for token in tokens}
    assert all(server_for_room(token) == chosen[token] for token in tokens)
    assert {server.url for server in chosen.values()} == {
        "https://one.example/standalone-signaling/",
        "wss://two.example",
    }


def test_internal_mode_has_no_server(settings):
    configure(settings)
    assert server_for_room("abcd1234") is None


def test_server_urls_for_the_api_and_for_clients():
    server = SignalingServer("https://one.example/standalone-signaling/")
    assert server.room_url("abcd") == "https://one.example/standalone-signaling/api/v1/room/abcd"
    assert server.websocket_url == "wss://one.example/standalone-signaling/spreed"
    assert SignalingServer("ws://127.0.0.1:8080").room_url("abcd") == "http://127.0.0.1:8080/api/v1/room/abcd"
    assert SignalingServer("ws://127.0.0.1:8080").websocket_url == "ws://127.0.0.1:8080/spreed"


@pytest.mark.parametrize(
    ("values", "check_id"),
    [
        ({"SIGNALING_MODE": "cluster"}, "talk_calls.E021"),
        ({"SIGNALING_SERVERS": "https://one.example", "SIGNALING_SECRET": SECRET}, "talk_calls.E022"),
        ({"SIGNALING_SERVERS": [{"server": "ftp://x"}], "SIGNALING_SECRET": SECRET}, "talk_calls.E022"),
        (
            {"SIGNALING_SERVERS": [{"server": "https://x", "verify": "no"}], "SIGNALING_SECRET": SECRET},
            "talk_calls.E022",
        ),
        ({"SIGNALING_SERVERS": [{"server": "https://x", "port": 1}], "SIGNALING_SECRET": SECRET}, "talk_calls.E022"),
        ({"SIGNALING_SERVERS": ONE}, "talk_calls.E023"),
        ({"SIGNALING_SERVERS": ONE, "SIGNALING_SECRET": "short"}, "talk_calls.E023"),
        ({"SIGNALING_SECRET": 42}, "talk_calls.E023"),
        ({"SIGNALING_BACKEND_URL": "cloud.example"}, "talk_calls.E024"),
    ],
)
def test_bad_signaling_settings_are_reported(settings, values, check_id):
    configure(settings, **values)
    assert check_id in [error.id for error in check_settings()]


def test_good_signaling_settings_pass(settings):
    configure(
        settings,
        SIGNALING_SERVERS=TWO,
        SIGNALING_SECRET=SECRET,
        SIGNALING_MODE="conversation_cluster",
        SIGNALING_BACKEND_URL="https://cloud.example/",
    )
    assert check_settings() == []


def test_tickets_are_bound_to_their_user():
    ticket = make_ticket("alice")
    random, timestamp, user_id, digest = ticket.split(":")
    assert (len(random), user_id, len(digest)) == (16, "alice", 64)
    assert timestamp.isdigit()
    assert check_ticket("alice", ticket)
    assert not check_ticket("bob", ticket)
    assert not check_ticket(None, ticket)
    assert not check_ticket("alice", ticket[:-1] + ("0" if ticket[-1] != "0" else "1"))
    assert not check_ticket("alice", "")
    assert check_ticket(None, make_ticket(None))
    assert check_ticket("", make_ticket(None))


def test_tickets_follow_the_secret_key(settings):
    ticket = make_ticket("alice")
    settings.SECRET_KEY = "another secret key entirely"
    assert not check_ticket("alice", ticket)
