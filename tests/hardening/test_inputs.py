"""Every string parameter is checked in one place; bodies are bounded (issue 11).

Through Django's test client: the view-level rules. The request-head guard (which runs
before Django builds a request) is proven against a real server in ``test_hostile.py``.
"""

import json

import pytest
from django.test import override_settings

from talk_calls.models import Room, Session
from talk_calls.parsers import MAX_JSON_DEPTH, json_depth_exceeds

from ..factories import AttendeeFactory, RoomFactory
from ..helpers import OCSClient, ocs_data, ocs_meta, room_url

pytestmark = pytest.mark.django_db

V4 = "/ocs/v2.php/apps/spreed/api/v4"


def nested(depth: int) -> str:
    return '{"roomName": "x", "participants": ' + "[" * depth + "]" * depth + "}"


def test_depth_scan_counts_brackets_outside_strings():
    assert not json_depth_exceeds(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')
    assert not json_depth_exceeds(b'{"a": [[1, {"b": [2]}]], "c": "\\"]"}')
    assert json_depth_exceeds(("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode())
    assert not json_depth_exceeds(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode())
    assert not json_depth_exceeds(b"[[[[")  # unbalanced: left to the parser


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 200_000])
def test_deep_json_is_refused_before_parsing(user, depth):
    response = OCSClient(user).generic("POST", f"{V4}/room", nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "body"
    assert not Room.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"roomType": 2, "roomName": "a\\ud800b"}',
        '{"roomType": 2, "roomName": "ok", "participants": {"users": ["\\udfff"]}}',
        '{"roomType": 2, "roomName": "ok", "participants": {"users": ["a\\u0000"]}}',
        '{"roomType": 2, "roomName": "ok", "description": {"x": ["\\ud83d"]}}',
        '{"roomType": 2, "roomName": "ok", "\\ud800": 1}',
        '{"roomType": 2, "roomName": "ok", "objectId": "' + "x" * 70000 + '"}',
    ],
)
def test_bad_strings_anywhere_in_a_body_answer_400(user, body):
    response = OCSClient(user).generic("POST", f"{V4}/room", body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert set(ocs_data(response)) >= {"error"}
    assert not Room.objects.exists()


def test_a_surrogate_in_a_join_password_changes_nothing(public_room):
    guest = OCSClient()
    response = guest.generic(
        "POST", room_url(public_room.token, "/participants/active"), '{"password": "\\ud800"}', "application/json"
    )
    assert response.status_code == 400 and ocs_data(response) == {"error": "body"}
    assert ocs_meta(response)["message"] == "password must not contain characters that are not valid UTF-8 text"
    assert not Session.objects.exists()


def test_many_values_are_refused(user):
    body = json.dumps({"roomName": "x", "participants": {"users": ["u"] * 20000}})
    response = OCSClient(user).generic("POST", f"{V4}/room", body, content_type="application/json")
    assert response.status_code == 400 and ocs_data(response)["error"] == "body"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4096)
def test_a_file_part_counts_against_the_upload_limit(public_room, tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    boundary = "xyz"
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n" + "x" * 10_000 + f"\r\n--{boundary}--\r\n"
    )
    response = OCSClient().generic(
        "POST",
        room_url(public_room.token, "/participants/active"),
        part,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert ocs_data(response)["error"] == "body"
    assert not Session.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_small_file_part_is_skipped_and_the_fields_are_read(public_room, tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # Django would spill every file to disk
    attendee = AttendeeFactory(room=public_room, moderator=True)
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        + "x" * 1000
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="force"\r\n\r\nfalse\r\n--{boundary}--\r\n'
    )
    response = OCSClient(attendee.user).generic(
        "POST",
        room_url(public_room.token, "/participants/active"),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 200
    assert list(tmp_path.iterdir()) == []


def test_nul_in_a_query_parameter_answers_400(user):
    room = RoomFactory()
    AttendeeFactory(room=room, user=user, moderator=True)
    response = OCSClient(user).get(room_url(room.token) + "?includeStatus=%00")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "messages",
    [
        '[{"ev": "message", "fn": "a\\ud800b", "sessionId": "x"}]',
        '[{"ev": "message", "fn": "a\\u0000b", "sessionId": "x"}]',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["surrogate", "nul", "deep"],
)
def test_signaling_messages_pass_the_same_string_check_once_decoded(room, messages):
    """``messages`` is a JSON document inside a string: decoded, it is held to the same rules."""
    attendee = AttendeeFactory(room=room)
    client = OCSClient(attendee.user)
    assert client.join_room(room.token).status_code == 200
    response = client.generic(
        "POST",
        f"/ocs/v2.php/apps/spreed/api/v3/signaling/{room.token}",
        json.dumps({"messages": messages}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "messages"
