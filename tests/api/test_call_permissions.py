"""The permission matrix: every call endpoint x every kind of caller x room state.

The table below is the contract (reference section 3.0 order, CONTRACT section 2): each
endpoint lists its checks in order; the first failing one answers with ``data: []``.
Every caller is in the running call before the state is applied, so an endpoint whose
checks all pass succeeds.
"""

import pytest
from django.test import override_settings

from talk_calls.constants import InCallFlag, LobbyState, ParticipantType, Permission, ReadOnly, StartCalls
from talk_calls.models import Attendee, Room
from tests.factories import AttendeeFactory, PhoneAttendeeFactory, RoomFactory, UserFactory
from tests.helpers import OCSClient, call_url, guest_in_room, in_call, ocs_data, user_client

pytestmark = pytest.mark.django_db

BACKEND = "talk_calls.sip.ConsoleDialOutBackend"

CHECKS = {
    "GET /call": ("calls_enabled", "participant", "read_only", "lobby"),
    "POST /call": ("calls_enabled", "participant", "read_only", "lobby"),
    "PUT /call": ("participant", "read_only", "lobby"),
    "DELETE /call": ("participant", "read_only", "lobby"),
    "POST ring": ("calls_enabled", "participant", "lobby", "moderator"),
    "POST dialout": ("calls_enabled", "participant", "lobby", "start_call"),
    "GET download": ("participant", "moderator"),
}
FAILURE = {
    "calls_enabled": 403,
    "participant": 404,
    "read_only": 403,
    "lobby": 412,
    "moderator": 403,
    "start_call": 403,
}
ROLES = (
    "owner",
    "moderator",
    "user",
    "self_joined",
    "no_start_permission",
    "guest",
    "guest_moderator",
    "outsider",
    "anonymous",
)
MODERATORS = ("owner", "moderator", "guest_moderator")
PARTICIPANTS = ROLES[:7]
STATES = ("normal", "read_only", "lobby", "calls_disabled")


def fails(check, role, state):
    if check == "calls_enabled":
        return state == "calls_disabled"
    if check == "participant":
        return role not in PARTICIPANTS
    if check == "read_only":
        return state == "read_only"
    if check == "lobby":
        return state == "lobby" and role not in MODERATORS
    if check == "moderator":
        return role not in MODERATORS
    if check == "start_call":
        return role == "no_start_permission"
    raise AssertionError(check)


def expected_status(endpoint, role, state):
    for check in CHECKS[endpoint]:
        if fails(check, role, state):
            return FAILURE[check]
    return 200


def caller(room, role):
    """Return the client of ``role``; participants are in the call already."""
    if role == "outsider":
        return user_client(UserFactory())
    if role == "anonymous":
        return OCSClient()
    if role in ("guest", "guest_moderator"):
        client, attendee = guest_in_room(room)
        if role == "guest_moderator":
            Attendee.objects.filter(pk=attendee.pk).update(participant_type=ParticipantType.GUEST_MODERATOR)
        assert client.ocs("POST", call_url(room.token)).status_code == 200
        return client
    kwargs = {
        "owner": {"owner": True},
        "moderator": {"moderator": True},
        "user": {},
        "self_joined": {"self_joined": True},
        "no_start_permission": {
            "permissions": int(Permission.CUSTOM | Permission.PUBLISH_AUDIO | Permission.PUBLISH_VIDEO)
        },
    }[role]
    client, _ = in_call(room, **kwargs)
    return client


def send(client, endpoint, room, *, target, phone):
    flags = {"flags": int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO)}
    if endpoint == "GET /call":
        return client.get(call_url(room.token))
    if endpoint == "POST /call":
        return client.ocs("POST", call_url(room.token), flags)
    if endpoint == "PUT /call":
        return client.ocs("PUT", call_url(room.token), flags)
    if endpoint == "DELETE /call":
        return client.ocs("DELETE", call_url(room.token))
    if endpoint == "POST ring":
        return client.ocs("POST", call_url(room.token, f"/ring/{target.pk}"))
    if endpoint == "POST dialout":
        return client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}"))
    if endpoint == "GET download":
        return client.get(call_url(room.token, "/download"), {"format": "csv"})
    raise AssertionError(endpoint)


def apply_state(room, state):
    if state == "read_only":
        Room.objects.filter(pk=room.pk).update(read_only=ReadOnly.READ_ONLY)
    elif state == "lobby":
        Room.objects.filter(pk=room.pk).update(lobby_state=LobbyState.NON_MODERATORS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(CHECKS))
def test_permission_matrix(endpoint, role, state):
    room = RoomFactory(public=True)
    in_call(room, owner=True)  # the call runs
    target = AttendeeFactory(room=room)
    phone = PhoneAttendeeFactory(room=room)
    with override_settings(TALK_CALLS={"SIP_DIALOUT_BACKEND": BACKEND}):
        client = caller(room, role)
    apply_state(room, state)
    settings = {"SIP_DIALOUT_BACKEND": BACKEND}
    if state == "calls_disabled":
        settings["START_CALLS"] = StartCalls.DISABLED
    with override_settings(TALK_CALLS=settings):
        response = send(client, endpoint, room, target=target, phone=phone)
    status = expected_status(endpoint, role, state)
    assert response.status_code == status, (endpoint, role, state, response.content)
    if status != 200:
        assert ocs_data(response) == []


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 403), ("outsider", 404), ("user", 404), ("owner", 404)],
)
def test_notification_state_needs_a_user(role, status):
    room = RoomFactory()
    in_call(room, owner=True)
    if role == "user":
        client, _ = in_call(room)
    elif role == "owner":
        client = user_client(Room.objects.get(pk=room.pk).attendees.get(participant_type=ParticipantType.OWNER).user)
    else:
        client = caller(room, role)
    response = client.get(call_url(room.token, "/notification-state"))
    assert response.status_code == status
    assert ocs_data(response) is None
