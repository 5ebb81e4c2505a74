"""Talk sessions work with Django's other session engines (cookie, cache)."""

import pytest

from talk_calls.models import Session
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import call_url, ocs_data, room_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.signed_cookies",
        "django.contrib.sessions.backends.cache",
        "django.contrib.sessions.backends.cached_db",
    ],
)
def test_join_call_rotate_and_leave_with_another_session_engine(settings, client_for, engine):
    settings.SESSION_ENGINE = engine
    room = RoomFactory(public=True, room_password="room-password")
    guest = client_for()
    session_id = ocs_data(guest.join_room(room.token, password="room-password"))["sessionId"]
    assert guest.ocs("POST", call_url(room.token), {"flags": 1}).status_code == 200
    assert Session.objects.get(session_id=session_id).in_call == 1
    assert guest.delete(room_url(room.token, "/participants/active")).status_code == 200
    assert not Session.objects.exists()
    attendee = AttendeeFactory(room=room)
    user = client_for(attendee.user)
    assert user.join_room(room.token).status_code == 200
    assert user.join_room(room.token).status_code == 200
    assert Session.objects.filter(attendee=attendee).count() == 1
