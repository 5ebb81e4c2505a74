"""Every documented call response validates against the reference's OpenAPI description.

``tests/api/talk-call-openapi.json`` is a copy of the project's spec (tests must not read
outside the repository). Dial-out success is 200 by CONTRACT section 2 while the
reference documents 201, so only its error answers are validated here.
"""

from pathlib import Path

import pytest
from django.test import override_settings
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from talk_calls.constants import InCallFlag, RecordingConsent
from tests.factories import AttendeeFactory, PhoneAttendeeFactory, UserFactory
from tests.helpers import OCSClient, call_url, guest_in_room, in_call, in_room, user_client

pytestmark = pytest.mark.django_db

SPEC = OpenAPI.from_file_path(str(Path(__file__).with_name("talk-call-openapi.json")))


def validate(response, method, path, query=None):
    """Validate ``response`` (a Django test response) for ``method path``; return it."""
    content_type = response["Content-Type"].split(";")[0]
    request = MockRequest(
        "http://testserver",
        method,
        path,
        args=query,
        headers={"OCS-APIRequest": "true"},
        content_type="application/json",
    )
    SPEC.validate_response(request, MockResponse(response.content, response.status_code, content_type=content_type))
    return response


def test_get_peers(public_room):
    client, _ = in_call(public_room)
    guest, _ = guest_in_room(public_room)
    guest.ocs("POST", call_url(public_room.token))
    path = call_url(public_room.token)
    assert validate(client.get(path), "GET", path).status_code == 200


def test_join_answers(room):
    path = call_url(room.token)
    attendee = AttendeeFactory(room=room)
    assert validate(user_client(attendee.user).ocs("POST", path), "POST", path).status_code == 404
    client, _ = in_room(room)
    assert validate(client.ocs("POST", path, {"flags": 99}), "POST", path).status_code == 400
    with override_settings(TALK_CALLS={"RECORDING_CONSENT": RecordingConsent.REQUIRED}):
        assert validate(client.ocs("POST", path), "POST", path).status_code == 400
    assert validate(client.ocs("POST", path), "POST", path).status_code == 200


def test_put_and_delete_answers(room):
    path = call_url(room.token)
    stranger = user_client(AttendeeFactory(room=room).user)
    assert validate(stranger.ocs("PUT", path, {"flags": 1}), "PUT", path).status_code == 404
    assert validate(stranger.ocs("DELETE", path), "DELETE", path).status_code == 404
    client, _ = in_room(room)
    assert validate(client.ocs("PUT", path, {"flags": 1}), "PUT", path).status_code == 400
    client.ocs("POST", path)
    assert validate(client.ocs("PUT", path, {"flags": int(InCallFlag.WITH_AUDIO)}), "PUT", path).status_code == 400
    assert validate(client.ocs("PUT", path, {"flags": 3}), "PUT", path).status_code == 200
    assert validate(client.ocs("DELETE", path), "DELETE", path).status_code == 200


def test_ring_answers(public_room):
    room = public_room
    client, _ = in_room(room, owner=True)
    target = AttendeeFactory(room=room)
    path = call_url(room.token, f"/ring/{target.pk}")
    assert validate(client.ocs("POST", path), "POST", path).status_code == 400
    client.ocs("POST", call_url(room.token))
    _, guest = guest_in_room(room)
    guest_path = call_url(room.token, f"/ring/{guest.pk}")
    assert validate(client.ocs("POST", guest_path), "POST", guest_path).status_code == 400
    missing = call_url(room.token, f"/ring/{target.pk + 1000}")
    assert validate(client.ocs("POST", missing), "POST", missing).status_code == 404
    assert validate(client.ocs("POST", path), "POST", path).status_code == 200


def test_dialout_error_answers(room):
    client, _ = in_room(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    path = call_url(room.token, f"/dialout/{phone.pk}")
    assert validate(client.ocs("POST", path), "POST", path).status_code == 400
    client.ocs("POST", call_url(room.token))
    assert validate(client.ocs("POST", path), "POST", path).status_code == 501
    missing = call_url(room.token, f"/dialout/{phone.pk + 1000}")
    assert validate(client.ocs("POST", missing), "POST", missing).status_code == 404


def test_notification_state_answers(room):
    path = call_url(room.token, "/notification-state")
    assert validate(OCSClient().get(path), "GET", path).status_code == 403
    assert validate(user_client(UserFactory()).get(path), "GET", path).status_code == 404
    bob = AttendeeFactory(room=room)
    assert validate(user_client(bob.user).get(path), "GET", path).status_code == 201
    in_call(room)
    assert validate(user_client(bob.user).get(path), "GET", path).status_code == 200


def test_download_answers(room):
    client, _ = in_room(room, owner=True)
    path = call_url(room.token, "/download")
    assert validate(client.get(path, {"format": "csv"}), "GET", path, {"format": "csv"}).status_code == 400
    client.ocs("POST", call_url(room.token))
    assert validate(client.get(path, {"format": "csv"}), "GET", path, {"format": "csv"}).status_code == 200
