"""The OCS envelope of v1 and v2 paths, the two error shapes, format, 404/405 answers."""

import pytest

from talk_calls.constants import RoomType
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import V4, call_url, ocs_data, ocs_meta, room_url

pytestmark = pytest.mark.django_db

CAPABILITIES_V1 = "/ocs/v1.php/cloud/capabilities"
CAPABILITIES_V2 = "/ocs/v2.php/cloud/capabilities"


def test_v2_success_envelope(client_for):
    response = client_for().get(CAPABILITIES_V2)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"ocs"}
    assert body["ocs"]["meta"] == {"status": "ok", "statuscode": 200, "message": "OK"}
    assert "capabilities" in body["ocs"]["data"]


def test_v1_success_envelope(client_for):
    response = client_for().get(CAPABILITIES_V1)
    assert response.status_code == 200
    assert ocs_meta(response) == {
        "status": "ok",
        "statuscode": 100,
        "message": "OK",
        "totalitems": "",
        "itemsperpage": "",
    }


@pytest.mark.parametrize("path", ["/ocs/v1.php/cloud/user", "/ocs/v2.php/cloud/user"])
def test_not_logged_in_is_http_401_with_statuscode_997_on_both_versions(client_for, path):
    response = client_for().get(path)
    assert response.status_code == 401
    meta = ocs_meta(response)
    assert meta["status"] == "failure"
    assert meta["statuscode"] == 997
    assert ocs_data(response) == []


def test_v1_error_is_http_200_with_the_status_in_meta(client_for):
    response = client_for().get("/ocs/v1.php/cloud/nothing-here")
    assert response.status_code == 200
    assert ocs_meta(response)["status"] == "failure"
    assert ocs_meta(response)["statuscode"] == 404


def test_failed_check_answers_empty_list_and_a_message(client_for, room):
    outsider = AttendeeFactory()  # an attendee of another room
    response = client_for(outsider.user).get(call_url(room.token))
    assert response.status_code == 404
    message = "Conversation not found, or you are not a participant of it"
    assert response.json() == {
        "ocs": {"meta": {"status": "failure", "statuscode": 404, "message": message}, "data": []}
    }


def test_endpoint_error_answers_null(client_for, room):
    response = client_for().join_room(room.token)  # a guest and a group room
    assert response.status_code == 404
    assert ocs_meta(response)["statuscode"] == 404
    assert ocs_data(response) is None


def test_endpoint_error_answers_error_key(client_for):
    room = RoomFactory(public=True, room_password="open sesame")
    response = client_for().join_room(room.token, password="wrong")
    assert response.status_code == 403
    assert ocs_data(response) == {"error": "password"}


def test_json_escapes_angle_brackets_like_php(client_for):
    room = RoomFactory(type=RoomType.PUBLIC, name="<b>call</b>")
    response = client_for().join_room(room.token)
    assert response.status_code == 200
    assert b"\\u003Cb\\u003Ecall\\u003C/b\\u003E" in response.content
    assert ocs_data(response)["name"] == "<b>call</b>"


def test_format_xml_is_refused_with_ocs_json(client_for):
    response = client_for().get(CAPABILITIES_V2 + "?format=xml")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert ocs_data(response)["error"] == "format"


@pytest.mark.parametrize("query", ["?format=json", "?format=JSON", ""])
def test_format_json_and_accept_are_ignored(client_for, query):
    response = client_for().get(CAPABILITIES_V2 + query, HTTP_ACCEPT="application/xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert ocs_meta(response)["statuscode"] == 200


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize(
    "path",
    [
        f"{V4}/nothing",
        f"{V4}/room/UPPERCASE/participants/active",
        "/ocs/v2.php/apps/spreed/api/v3/call/abcd",
        "/ocs/v2.php/cloud/nothing",
    ],
)
def test_unmatched_ocs_path_is_ocs_404_for_every_method(client_for, method, path):
    response = getattr(client_for(), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert ocs_meta(response)["statuscode"] == 404
    assert ocs_data(response) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", room_url("abcdefgh", "/participants/active")),
        ("put", room_url("abcdefgh", "/participants/active")),
        ("get", room_url("abcdefgh", "/participants/active")),
        ("post", CAPABILITIES_V2),
        ("delete", "/ocs/v2.php/cloud/user"),
        ("patch", call_url("abcdefgh")),
    ],
)
def test_wrong_method_is_ocs_405_before_any_other_check(client_for, method, path):
    # A guest, no room of that token, no CSRF header: the method is still what is wrong.
    response = getattr(client_for(ocs_header=False), method)(path)
    assert response.status_code == 405
    assert ocs_meta(response)["statuscode"] == 405
    assert ocs_meta(response)["message"].startswith(f'Method "{method.upper()}" not allowed.')
    assert ocs_data(response) == []
