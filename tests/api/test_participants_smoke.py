import pytest

from talk_calls.constants import ParticipantType
from talk_calls.models import Session
from tests.factories import AttendeeFactory
from tests.helpers import ocs_data, ocs_meta, room_url

pytestmark = pytest.mark.django_db


def test_user_joins_and_leaves(client_for, room):
    attendee = AttendeeFactory(room=room)
    client = client_for(attendee.user)
    response = client.join_room(room.token)
    assert response.status_code == 200, response.content
    data = ocs_data(response)
    assert len(data["sessionId"]) == 255
    assert data["actorId"] == attendee.actor_id
    assert ocs_meta(response) == {"status": "ok", "statuscode": 200, "message": "OK"}
    assert "sessionid" in response.cookies
    assert Session.objects.filter(session_id=data["sessionId"]).exists()
    response = client.ocs("DELETE", room_url(room.token, "/participants/active"))
    assert response.status_code == 200
    assert ocs_data(response) is None
    assert not Session.objects.filter(session_id=data["sessionId"]).exists()


def test_guest_joins_public_room(client_for, public_room):
    client = client_for()
    response = client.join_room(public_room.token)
    assert response.status_code == 200, response.content
    data = ocs_data(response)
    assert data["actorType"] == "guests"
    assert data["participantType"] == ParticipantType.GUEST
    assert len(data["actorId"]) == 40


def test_unknown_ocs_path_is_ocs_404(client_for):
    response = client_for().get("/ocs/v2.php/apps/spreed/api/v4/nothing")
    assert response.status_code == 404
    assert response.json()["ocs"]["meta"]["statuscode"] == 404
