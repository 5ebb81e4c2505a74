"""The demo data and the landing page: loadable twice, complete, and described truthfully."""

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from project.demo_info import LOGINS, ROOM_PASSWORD, ROOMS
from project.management.commands.demo import fixture_path
from talk_calls.constants import SESSION_ID_LENGTH, ActorType, LobbyState, ParticipantType, ReadOnly, RoomType
from talk_calls.models import Attendee, Room
from talk_calls.services.rooms import remove_attendee
from tests.helpers import OCSClient, basic_header, call_url, ocs_data, room_url

pytestmark = pytest.mark.django_db


def demo_client(username, password):
    client = OCSClient()
    client.defaults["HTTP_AUTHORIZATION"] = basic_header(username, password)
    return client


def test_fixture_loads_twice_with_every_kind_of_room():
    call_command("loaddata", fixture_path(), verbosity=0)
    first = (get_user_model().objects.count(), Room.objects.count(), Attendee.objects.count())
    call_command("loaddata", fixture_path(), verbosity=0)
    assert (get_user_model().objects.count(), Room.objects.count(), Attendee.objects.count()) == first

    rooms = {room.token: room for room in Room.objects.all()}
    assert sorted(rooms) == sorted(token for token, _ in ROOMS)
    assert rooms["demoonetoone"].type == RoomType.ONE_TO_ONE
    assert rooms["demogroup"].type == RoomType.GROUP
    assert rooms["demopublic"].type == RoomType.PUBLIC and not rooms["demopublic"].has_password
    assert rooms["demosecret"].type == RoomType.PUBLIC and rooms["demosecret"].check_password(ROOM_PASSWORD)
    assert rooms["demolobby"].lobby_state == LobbyState.NON_MODERATORS
    assert rooms["demoreadonly"].read_only == ReadOnly.READ_ONLY
    assert Group.objects.get(name="team").user_set.count() == 3


def test_documented_logins_work():
    call_command("loaddata", fixture_path(), verbosity=0)
    for username, password, _ in LOGINS:
        assert authenticate(username=username, password=password) is not None, username
    assert get_user_model().objects.get(username="admin").is_superuser


def test_demo_command_runs_again_after_visitors_used_the_rooms(capsys):
    call_command("demo")
    alice = demo_client("alice", "talk-demo")
    assert alice.join_room("demogroup").status_code == 200
    assert alice.ocs("POST", call_url("demogroup"), {"flags": 7}).status_code == 200
    # Alice is removed from the public room and comes back as a self-joined user (a new row).
    public = Room.objects.get(token="demopublic")
    remove_attendee(public, Attendee.objects.get(room=public, actor_id="alice"))
    assert alice.join_room("demopublic").status_code == 200

    call_command("demo")

    out = capsys.readouterr().out
    assert "alice  / talk-demo" in out and "admin  / admin-demo" in out
    assert all(token in out for token, _ in ROOMS)
    returned = Attendee.objects.get(room=public, actor_type=ActorType.USERS, actor_id="alice")
    assert returned.participant_type == ParticipantType.OWNER
    assert not Room.objects.get(token="demogroup").has_call
    assert ocs_data(alice.get(call_url("demogroup"))) == []


def test_landing_page_lists_rooms_logins_and_working_curl_lines(client):
    call_command("demo")
    page = client.get("/").content.decode()
    for token, _ in ROOMS:
        assert f'id="room-{token}"' in page
    for username, password, _ in LOGINS:
        assert f"<code>{username}</code>" in page and f"<code>{password}</code>" in page
    assert 'href="/admin/"' in page and 'href="/admin/talk_calls/room/live/"' in page
    assert f"http://testserver{room_url('demogroup', '/participants/active')}" in page
    assert f"http://testserver{call_url('demogroup')}" in page


def test_landing_page_says_when_the_demo_data_is_missing(client):
    page = client.get("/").content.decode()
    assert "The demo data is not loaded" in page


def test_demo_rooms_behave_as_the_landing_page_says():
    call_command("demo")
    alice, bob, dave = (demo_client(name, "talk-demo") for name in ("alice", "bob", "dave"))
    flags = {"flags": 3}
    assert bob.join_room("demolobby").status_code == 200
    assert bob.ocs("POST", call_url("demolobby"), flags).status_code == 412
    assert alice.join_room("demolobby").status_code == 200
    assert alice.ocs("POST", call_url("demolobby"), flags).status_code == 200
    assert bob.join_room("demoreadonly").status_code == 200
    assert bob.ocs("POST", call_url("demoreadonly"), flags).status_code == 403
    assert dave.join_room("demopublic").status_code == 200
    assert dave.join_room("demogroup").status_code == 404
    assert OCSClient().join_room("demopublic").status_code == 200
    assert OCSClient().join_room("demosecret").status_code == 403
    guest = OCSClient()
    assert guest.join_room("demosecret", password=ROOM_PASSWORD).status_code == 200
    assert guest.ocs("POST", call_url("demosecret"), flags).status_code == 200
    assert bob.join_room("demoonetoone").status_code == 200
    assert demo_client("carol", "talk-demo").join_room("demoonetoone").status_code == 404


def test_demo_user_joins_the_demo_room_with_basic_auth():
    call_command("demo")
    client = OCSClient()
    response = client.post(
        room_url("demogroup", "/participants/active"), HTTP_AUTHORIZATION=basic_header("alice", "talk-demo")
    )
    assert response.status_code == 200
    assert len(ocs_data(response)["sessionId"]) == SESSION_ID_LENGTH
    assert settings.SESSION_COOKIE_NAME in response.cookies
