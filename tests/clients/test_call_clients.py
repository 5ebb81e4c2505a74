"""Third-party Talk clients against a live server: nc-py-api 0.30.3 (JSON bodies, Basic auth)
and nextcloud-talk-core 1.0.2 (form-encoded bodies, as the Android and iOS apps send them).

Both keep the server's session cookie, which carries the Talk session between joining the
room and joining the call. Tests of conversation endpoints this branch does not serve
(``GET room/{token}``, ``GET room/{token}/participants``) skip until those routes exist.
"""

import warnings

import pytest
from django.urls import resolve

from talk_calls.constants import DEFAULT_JOIN_FLAGS, CallEventKind, InCallFlag, ReadOnly
from talk_calls.models import CallEvent, Room, Session
from tests.factories import PASSWORD, AttendeeFactory, RoomFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SPREED = "/ocs/v2.php/apps/spreed/api/v4"


def served(path):
    return resolve(path).url_name != "ocs-not-found"


needs_room_endpoints = pytest.mark.skipif(
    not served(f"{SPREED}/room/abcd") or not served(f"{SPREED}/room/abcd/participants"),
    reason="GET room/{token} and room/{token}/participants come with the conversations branch",
)


@pytest.fixture
def call_room(transactional_db):
    room = RoomFactory()
    owner = AttendeeFactory(room=room, owner=True)
    member = AttendeeFactory(room=room)
    return room, owner, member


def nc_client(live_server, attendee):
    from nc_py_api import Nextcloud

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Nextcloud(nextcloud_url=live_server.url, nc_auth_user=attendee.actor_id, nc_auth_pass=PASSWORD)


def talk_core_client(live_server, attendee):
    from nextcloud_talk_core.client import OCSClient
    from nextcloud_talk_core.config import Settings

    return OCSClient(Settings(nc_url=live_server.url, nc_user=attendee.actor_id, nc_app_password=PASSWORD))


# --- nc-py-api ---------------------------------------------------------------------------


def test_nc_py_api_join_room_join_call_list_update_leave(live_server, call_room):
    room, owner, member = call_room
    nc = nc_client(live_server, owner)
    call = f"{SPREED}/call/{room.token}"
    joined = nc._session.ocs("POST", f"{SPREED}/room/{room.token}/participants/active")
    assert joined["participantFlags"] == 0
    assert nc._session.ocs("POST", call, json={"flags": int(DEFAULT_JOIN_FLAGS)}) is None
    peers = nc._session.ocs("GET", call)
    assert [(p["actorType"], p["actorId"], p["sessionId"]) for p in peers] == [
        ("users", owner.actor_id, joined["sessionId"])
    ]
    assert nc._session.ocs("PUT", call, json={"flags": int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO)}) is None
    assert Session.objects.get(session_id=joined["sessionId"]).in_call == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
    assert nc._session.ocs("DELETE", call) is None
    assert Room.objects.get(pk=room.pk).active_since is None
    assert list(CallEvent.objects.filter(room=room).order_by("id").values_list("kind", flat=True)) == [
        CallEventKind.CALL_STARTED,
        CallEventKind.CALL_LEFT,
        CallEventKind.CALL_ENDED,
    ]


def test_nc_py_api_errors_are_nextcloud_exceptions_with_the_status(live_server, call_room):
    from nc_py_api import NextcloudException

    room, owner, member = call_room
    nc = nc_client(live_server, member)
    call = f"{SPREED}/call/{room.token}"
    with pytest.raises(NextcloudException) as not_joined:
        nc._session.ocs("POST", call)
    assert not_joined.value.status_code == 404
    nc._session.ocs("POST", f"{SPREED}/room/{room.token}/participants/active")
    with pytest.raises(NextcloudException) as bad_flags:
        nc._session.ocs("POST", call, json={"flags": 16})
    assert bad_flags.value.status_code == 400
    with pytest.raises(NextcloudException) as not_in_call:
        nc._session.ocs("PUT", call, json={"flags": int(InCallFlag.IN_CALL)})
    assert not_in_call.value.status_code == 400
    Room.objects.filter(pk=room.pk).update(read_only=ReadOnly.READ_ONLY)
    with pytest.raises(NextcloudException) as read_only:
        nc._session.ocs("POST", call)
    assert read_only.value.status_code == 403
    with pytest.raises(NextcloudException) as unknown:
        nc._session.ocs("GET", f"{SPREED}/call/nosuchroom")
    assert unknown.value.status_code == 404


@needs_room_endpoints
def test_nc_py_api_sees_the_call_on_the_conversation_and_participant_flags(live_server, call_room):
    room, owner, member = call_room
    nc = nc_client(live_server, owner)
    nc._session.ocs("POST", f"{SPREED}/room/{room.token}/participants/active")
    nc._session.ocs("POST", f"{SPREED}/call/{room.token}")
    assert nc.talk.get_conversation_by_token(room.token).has_call is True
    flags = {p.actor_id: p.participant_flags for p in nc.talk.list_participants(room.token)}
    assert flags[owner.actor_id] == DEFAULT_JOIN_FLAGS
    nc._session.ocs("DELETE", f"{SPREED}/call/{room.token}")
    assert nc.talk.get_conversation_by_token(room.token).has_call is False


# --- nextcloud-talk-core (form-encoded, like Android and iOS) ----------------------------


def test_talk_core_form_encoded_call_flow(live_server, call_room):
    room, owner, member = call_room
    moderator = talk_core_client(live_server, owner)
    other = talk_core_client(live_server, member)
    for client in (moderator, other):
        client.post(f"/api/v4/room/{room.token}/participants/active")
    assert moderator.post(f"/api/v4/call/{room.token}", data={"flags": "3", "silent": "true"}) is None
    assert other.post(f"/api/v4/call/{room.token}", data={"flags": "7"}) is None
    peers = other.get(f"/api/v4/call/{room.token}")
    assert sorted(p["actorId"] for p in peers) == sorted([owner.actor_id, member.actor_id])
    assert other.put(f"/api/v4/call/{room.token}", data={"flags": "1"}) is None
    assert Room.objects.get(pk=room.pk).call_flag == DEFAULT_JOIN_FLAGS
    assert moderator.delete(f"/api/v4/call/{room.token}", data={"all": "true"}) is None
    assert not Session.objects.filter(room=room).exclude(in_call=0).exists()
    assert CallEvent.objects.filter(room=room).order_by("id").last().kind == CallEventKind.CALL_ENDED_EVERYONE
    assert CallEvent.objects.get(room=room, kind=CallEventKind.CALL_STARTED).parameters == {"silent": True}


def test_talk_core_errors(live_server, call_room):
    from nextcloud_talk_core.errors import NextcloudNotFoundError, NextcloudOCSError

    room, owner, member = call_room
    client = talk_core_client(live_server, member)
    with pytest.raises(NextcloudNotFoundError):
        client.post(f"/api/v4/call/{room.token}", data={"flags": "3"})
    client.post(f"/api/v4/room/{room.token}/participants/active")
    with pytest.raises(NextcloudOCSError) as bad:
        client.put(f"/api/v4/call/{room.token}", data={"flags": "3"})
    assert bad.value.statuscode == 400
    with pytest.raises(NextcloudOCSError) as not_moderator:
        client.post(f"/api/v4/call/{room.token}/ring/{owner.pk}")
    assert not_moderator.value.statuscode == 403
