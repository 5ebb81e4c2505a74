"""Parameters from the query string, a form body or a JSON body, for every method (CONTRACT section 3)."""

import json
from urllib.parse import urlencode

import pytest

from talk_calls.constants import CallEventKind, InCallFlag
from talk_calls.models import CallEvent, Room, Session
from tests.factories import AttendeeFactory
from tests.helpers import call_url, ocs_data, room_url

pytestmark = pytest.mark.django_db

IN_CALL_WITH_AUDIO = InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
TRANSPORTS = ["json", "form", "query"]


def send(client, method, path, params, transport):
    """Send ``params`` the way one Talk client or another does."""
    if transport == "json":
        return client.generic(method, path, json.dumps(params), content_type="application/json")
    if transport == "form":
        return client.generic(
            method, path, urlencode(params, doseq=True), content_type="application/x-www-form-urlencoded"
        )
    return client.generic(method, f"{path}?{urlencode(params, doseq=True)}")


@pytest.fixture
def call_pair(client_for, room):
    """A moderator and a user of ``room``, both in its call; return their clients and the room."""
    moderator, member = AttendeeFactory(room=room, moderator=True), AttendeeFactory(room=room)
    mod_client, member_client = client_for(moderator.user), client_for(member.user)
    for client in (mod_client, member_client):
        assert client.join_room(room.token).status_code == 200
        assert client.ocs("POST", call_url(room.token), {"flags": int(IN_CALL_WITH_AUDIO)}).status_code == 200
    return mod_client, member_client, room


def own_session(client, token):
    return Session.objects.get(session_id=client.session["talk_calls_sessions"][token])


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("flags", [InCallFlag.IN_CALL, int(InCallFlag.IN_CALL), str(int(InCallFlag.IN_CALL))])
def test_put_reads_integer_flags_from_every_place(call_pair, transport, flags):
    client, _, room = call_pair
    flags_value = int(flags) if transport == "json" and not isinstance(flags, str) else flags
    response = send(client, "PUT", call_url(room.token), {"flags": flags_value}, transport)
    assert response.status_code == 200, response.content
    assert own_session(client, room.token).in_call == InCallFlag.IN_CALL


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("value", [True, "true", "TRUE", 1, "1", " true "])
def test_delete_reads_true_in_every_spelling_from_every_place(call_pair, transport, value):
    moderator, member, room = call_pair
    response = send(moderator, "DELETE", call_url(room.token), {"all": value}, transport)
    assert response.status_code == 200, response.content
    assert own_session(member, room.token).in_call == InCallFlag.DISCONNECTED
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_ENDED_EVERYONE).count() == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("value", [False, "false", "False", 0, "0", ""])
def test_delete_reads_false_in_every_spelling_from_every_place(call_pair, transport, value):
    moderator, member, room = call_pair
    response = send(moderator, "DELETE", call_url(room.token), {"all": value}, transport)
    assert response.status_code == 200, response.content
    assert own_session(moderator, room.token).in_call == InCallFlag.DISCONNECTED
    assert own_session(member, room.token).in_call == IN_CALL_WITH_AUDIO
    assert not CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_ENDED_EVERYONE).exists()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("value", [False, "false", "0", 0])
def test_post_reads_force_false_from_every_place(call_pair, transport, value):
    client, _, room = call_pair
    old_session = own_session(client, room.token)
    response = send(client, "POST", room_url(room.token, "/participants/active"), {"force": value}, transport)
    assert response.status_code == 409, response.content
    assert ocs_data(response)["sessionId"] == old_session.session_id


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_post_reads_password_from_every_place(client_for, transport):
    from tests.factories import RoomFactory

    room = RoomFactory(public=True, room_password="let me in")
    response = send(
        client_for(), "POST", room_url(room.token, "/participants/active"), {"password": "let me in"}, transport
    )
    assert response.status_code == 200, response.content


def test_repeated_array_keys_become_a_list_and_plain_keys_keep_the_last(call_pair):
    client, member, room = call_pair
    # iOS sends silentFor[]=a&silentFor[]=b; a repeated plain key keeps its last value, like PHP.
    response = client.generic("DELETE", call_url(room.token) + "?all=false&all=true")
    assert response.status_code == 200
    assert own_session(member, room.token).in_call == InCallFlag.DISCONNECTED


def test_body_wins_over_query(call_pair):
    moderator, member, room = call_pair
    response = moderator.generic(
        "DELETE", call_url(room.token) + "?all=true", json.dumps({"all": False}), content_type="application/json"
    )
    assert response.status_code == 200
    assert own_session(member, room.token).in_call == IN_CALL_WITH_AUDIO


def test_unknown_parameters_are_ignored(call_pair):
    client, _, room = call_pair
    response = client.ocs("PUT", call_url(room.token), {"flags": 1, "colour": {"deep": ["x"]}})
    assert response.status_code == 200


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("value", ["yes", "2", "truthy", "-1"])
def test_bad_boolean_text_is_400_naming_it(call_pair, transport, value):
    moderator, member, room = call_pair
    response = send(moderator, "DELETE", call_url(room.token), {"all": value}, transport)
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "all"
    assert own_session(moderator, room.token).in_call == IN_CALL_WITH_AUDIO


@pytest.mark.parametrize("value", [2, -1, 0.5, [True], {"x": 1}, "maybe"])
def test_bad_boolean_json_is_400_naming_it(call_pair, value):
    moderator, _, room = call_pair
    response = moderator.ocs("DELETE", call_url(room.token), {"all": value})
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "all"
    assert Room.objects.get(pk=room.pk).active_since is not None


@pytest.mark.parametrize("value", [16, -1, 1.5, "1.5", "abc", "--1", "+1", "1e3", "", True, 10**30, [1], {"a": 1}, "٣"])
def test_bad_integer_is_400_flags_and_changes_nothing(call_pair, value):
    client, _, room = call_pair
    response = client.ocs("PUT", call_url(room.token), {"flags": value})
    assert response.status_code == 400, response.content
    assert ocs_data(response)["error"] == "flags"
    assert own_session(client, room.token).in_call == IN_CALL_WITH_AUDIO


@pytest.mark.parametrize("value", [3, "3", " 3 ", 3.0])
def test_integer_spellings(call_pair, value):
    client, _, room = call_pair
    response = client.ocs("PUT", call_url(room.token), {"flags": value})
    assert response.status_code == 200, response.content
    assert own_session(client, room.token).in_call == IN_CALL_WITH_AUDIO


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("body", ['{"flags": 1', "{'flags': 1}", "nul", '{"flags": NaN}', b"\xff\xfe{}"])
def test_malformed_json_is_400_body_and_changes_nothing(call_pair, method, body):
    client, _, room = call_pair
    before = own_session(client, room.token)
    response = client.generic(method, call_url(room.token), body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert ocs_data(response)["error"] == "body"
    after = own_session(client, room.token)
    assert (after.in_call, after.last_ping) == (before.in_call, before.last_ping)


@pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "42", "true"])
def test_json_that_is_not_an_object_is_400_body(client_for, public_room, body):
    response = client_for().generic(
        "POST", room_url(public_room.token, "/participants/active"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "body"
    assert not Session.objects.exists()


@pytest.mark.parametrize("body", ["[]", "null", ""])
def test_empty_json_bodies_mean_no_parameters(client_for, public_room, body):
    response = client_for().generic(
        "POST", room_url(public_room.token, "/participants/active"), body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Session.objects.count() == 1


def test_over_long_password_is_400_naming_it(client_for, public_room):
    response = client_for().join_room(public_room.token, password="x" * 5000)
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "password"
    assert not Session.objects.exists()


def test_password_of_the_wrong_type_is_400(client_for, public_room):
    response = client_for().join_room(public_room.token, password={"a": 1})
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "password"


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_body_over_the_upload_limit_is_413_and_changes_nothing(client_for, public_room, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"password": "x" * 2000}) if content_type == "application/json" else "password=" + "x" * 2000
    response = client_for().generic(
        "POST", room_url(public_room.token, "/participants/active"), body, content_type=content_type
    )
    assert response.status_code == 413
    assert ocs_data(response)["error"] == "body"
    assert not Session.objects.exists()


def test_too_many_form_fields_is_400(client_for, public_room, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))
    response = client_for().generic(
        "POST",
        room_url(public_room.token, "/participants/active"),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "body"
    assert not Session.objects.exists()


def test_unsupported_content_type_is_415(client_for, public_room):
    response = client_for().generic(
        "POST", room_url(public_room.token, "/participants/active"), "password=x", content_type="text/plain"
    )
    assert response.status_code == 415
    assert ocs_data(response)["error"] == "content-type"
    assert not Session.objects.exists()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("value", ["16", "-1", "1.5", "abc", "0x1", "1 1"])
def test_bad_integer_text_is_400_flags_from_every_place(call_pair, transport, value):
    client, _, room = call_pair
    response = send(client, "PUT", call_url(room.token), {"flags": value}, transport)
    assert response.status_code == 400, response.content
    assert ocs_data(response)["error"] == "flags"
    assert own_session(client, room.token).in_call == IN_CALL_WITH_AUDIO


def test_nul_in_a_string_is_400_naming_it(client_for, public_room):
    response = client_for().join_room(public_room.token, password="a\x00b")
    assert response.status_code == 400
    # One check for every string (issue 11): the key is "body", the message names the parameter.
    assert ocs_data(response)["error"] == "body"
    assert response.json()["ocs"]["meta"]["message"] == "password must not contain control characters"
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "content_type",
    ["Application/JSON", "application/json; charset=UTF-8", "application/json;charset=utf-8"],
)
def test_json_content_type_spellings(client_for, public_room, content_type):
    response = client_for().generic(
        "POST", room_url(public_room.token, "/participants/active"), '{"force": true}', content_type=content_type
    )
    assert response.status_code == 200, response.content
