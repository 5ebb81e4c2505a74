"""Django logout ends the Talk sessions held in that Django session (CONTRACT section 4)."""

import pytest
from django.test import Client

from talk_calls.constants import SYSTEM_ACTOR_ID, CallEventKind
from talk_calls.models import CallEvent, Room, Session
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import OCSClient, call_url, ocs_data

pytestmark = pytest.mark.django_db


def log_out(client):
    """Post to Django's logout view with the client's cookies, as the browser's form does."""
    browser = Client()
    browser.cookies = client.cookies
    response = browser.post("/accounts/logout/")
    assert response.status_code == 302
    return response


def test_logout_ends_the_browsers_talk_sessions_and_leaves_the_call(room):
    other_room = RoomFactory()
    attendee = AttendeeFactory(room=room)
    AttendeeFactory(room=other_room, user=attendee.user)
    client = OCSClient(attendee.user, basic=False)
    in_call = ocs_data(client.join_room(room.token))["sessionId"]
    idle = ocs_data(client.join_room(other_room.token))["sessionId"]
    assert client.ocs("POST", call_url(room.token), {"flags": 3}).status_code == 200

    log_out(client)

    assert not Session.objects.filter(session_id__in=[in_call, idle]).exists()
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_LEFT, actor_id=attendee.actor_id).exists()
    assert CallEvent.objects.get(room=room, kind=CallEventKind.CALL_ENDED).actor_id == SYSTEM_ACTOR_ID
    assert Room.objects.get(pk=room.pk).active_since is None
    # Logged out: the cookie no longer authenticates.
    assert client.get("/ocs/v2.php/cloud/user").status_code == 401


def test_logout_keeps_the_sessions_of_other_browsers(room):
    attendee = AttendeeFactory(room=room)
    leaving, staying = OCSClient(attendee.user, basic=False), OCSClient(attendee.user, basic=False)
    leaving.join_room(room.token)
    kept = ocs_data(staying.join_room(room.token))["sessionId"]
    assert staying.ocs("POST", call_url(room.token)).status_code == 200

    log_out(leaving)

    assert list(Session.objects.values_list("session_id", flat=True)) == [kept]
    assert Room.objects.get(pk=room.pk).active_since is not None


def test_logout_without_talk_sessions_is_harmless(user):
    client = OCSClient(user, basic=False)
    log_out(client)
    assert client.get("/ocs/v2.php/cloud/user").status_code == 401


def test_browser_logs_in_with_djangos_login_view_and_joins(room):
    from tests.factories import PASSWORD

    attendee = AttendeeFactory(room=room)
    browser = Client()
    assert browser.get("/accounts/login/").status_code == 200
    response = browser.post("/accounts/login/", {"username": attendee.user.get_username(), "password": PASSWORD})
    assert response.status_code == 302
    joined = browser.post(
        f"/ocs/v2.php/apps/spreed/api/v4/room/{room.token}/participants/active", HTTP_OCS_APIREQUEST="true"
    )
    assert joined.status_code == 200
    assert ocs_data(joined)["actorId"] == attendee.actor_id
