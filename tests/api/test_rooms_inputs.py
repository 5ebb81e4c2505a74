"""No input produces a 500 on a conversation endpoint (CONTRACT section 3): every parameter of
every room endpoint gets values of the wrong type, huge numbers and over-long strings."""

import json

import pytest

from talk_calls.models import Room
from tests.factories import AttendeeFactory, GroupFactory, RoomFactory, UserFactory
from tests.helpers import V4, OCSClient, room_url

pytestmark = pytest.mark.django_db

ODD_VALUES = [
    None,
    True,
    -1,
    2**31,
    2**63,
    10**40,
    1.5,
    "",
    "abc",
    "9" * 30,
    "x" * 256,
    "y" * 2001,
    "z" * 70_000,
    [],
    ["a", 1],
    [[1]],
    {},
    {"users": "a", "groups": [1]},
    {"users": ["u" * 300], "groups": ["g" * 300]},
]

#: (method, path suffix or "room-list", parameters the endpoint reads)
ENDPOINTS = [
    ("GET", "room-list", ["modifiedSince", "includeStatus"]),
    (
        "POST",
        "room-list",
        [
            "roomType",
            "roomName",
            "invite",
            "source",
            "participants",
            "objectType",
            "objectId",
            "password",
            "readOnly",
            "listable",
            "lobbyState",
            "lobbyTimer",
            "sipEnabled",
            "permissions",
            "recordingConsent",
            "description",
        ],
    ),
    ("GET", "", []),
    ("PUT", "", ["roomName"]),
    ("GET", "/participants", ["includeStatus"]),
    ("POST", "/participants", ["newParticipant", "source"]),
    ("PUT", "/attendees/permissions", ["attendeeId", "method", "mode", "permissions"]),
    ("POST", "/moderators", ["attendeeId"]),
    ("DELETE", "/moderators", ["attendeeId"]),
    ("PUT", "/permissions/default", ["permissions"]),
    ("PUT", "/webinar/lobby", ["state", "timer"]),
    ("PUT", "/read-only", ["state"]),
    ("PUT", "/listable", ["scope"]),
    ("POST", "/public", ["password"]),
    ("PUT", "/password", ["password"]),
    ("PUT", "/recording-consent", ["recordingConsent"]),
    ("PUT", "/webinar/sip", ["state"]),
    ("PUT", "/participants/state", ["state"]),
    ("DELETE", "/attendees", ["attendeeId"]),
]


def url_for(room, path):
    return f"{V4}/room" if path == "room-list" else room_url(room.token, path)


@pytest.mark.parametrize(("method", "path", "names"), ENDPOINTS, ids=[f"{m} {p or '/'}" for m, p, _ in ENDPOINTS])
def test_odd_parameter_values_never_cause_a_server_error(method, path, names):
    room = RoomFactory(public=True)
    owner = AttendeeFactory(room=room, owner=True)
    AttendeeFactory(room=room)
    client = OCSClient(owner.user, raise_request_exception=False)
    assert client.join_room(room.token).status_code == 200
    for name in names or ["unused"]:
        for value in ODD_VALUES:
            body = json.dumps({name: value, "roomType": 2, "roomName": "n"})
            response = client.generic(method, url_for(room, path), body, content_type="application/json")
            assert response.status_code < 500, (method, path, name, repr(value)[:60], response.content[:300])
            assert "ocs" in response.json()


def test_unknown_users_and_groups_in_every_place_never_cause_a_server_error(user):
    GroupFactory(name="real")
    client = OCSClient(user, raise_request_exception=False)
    bodies = [
        {"roomType": 1, "invite": "ghost"},
        {"roomType": 1, "invite": ""},
        {"roomType": 1},
        {"roomType": 2, "invite": "ghost"},
        {"roomType": 2, "invite": "ghost", "source": "users"},
        {"roomType": 2, "invite": "ghost", "source": "emails"},
        {"roomType": 3, "roomName": "x", "participants": {"users": ["ghost"], "groups": ["ghosts", "real"]}},
        {"roomType": 3, "roomName": "x", "participants": {"users": [user.username, user.username]}},
    ]
    for body in bodies:
        response = client.ocs("POST", f"{V4}/room", body)
        assert response.status_code < 500, (body, response.content[:300])


def test_long_user_names_never_cause_a_server_error(room, owner):
    """A full name may be 301 characters (150 + space + 150); attendee names hold 255."""
    long_named = UserFactory(first_name="f" * 150, last_name="l" * 150)
    client = OCSClient(owner.user)
    response = client.ocs("POST", room_url(room.token, "/participants"), {"newParticipant": long_named.username})
    assert response.status_code == 200
    response = OCSClient(long_named).ocs("POST", f"{V4}/room", {"roomType": 2, "roomName": "mine"})
    assert response.status_code == 201
    response = OCSClient(long_named).ocs("POST", f"{V4}/room", {"roomType": 1, "invite": owner.user.username})
    assert response.status_code == 201
    assert Room.objects.count() == 3


def test_a_long_named_user_self_joining_a_public_room_is_stored_with_a_cut_name(public_room):
    long_named = UserFactory(first_name="f" * 150, last_name="l" * 150)
    response = OCSClient(long_named).join_room(public_room.token)
    assert response.status_code == 200
    attendee = public_room.attendees.get(actor_id=long_named.username)
    assert attendee.display_name == ("f" * 150 + " " + "l" * 150)[:255]
