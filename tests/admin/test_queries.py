"""The admin's lists answer in a constant number of queries, however many rooms and sessions exist."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from talk_calls.constants import CallEventKind
from talk_calls.models import Attendee, CallEvent, CallNotification, RecordingConsent, Room, Session
from tests.factories import (
    AttendeeFactory,
    CallEventFactory,
    CallNotificationFactory,
    RecordingConsentFactory,
    RoomFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

ROOMS = 1_000
SESSIONS = 10_000

PAGES = {
    "rooms": ("admin:talk_calls_room_changelist", {}),
    "rooms with a call": ("admin:talk_calls_room_changelist", {"call": "yes"}),
    "rooms by actor": ("admin:talk_calls_room_changelist", {"q": "a"}),
    "rooms by live count": ("admin:talk_calls_room_changelist", {"o": "8"}),
    "live calls": ("admin:talk_calls_room_live", {}),
    "attendees": ("admin:talk_calls_attendee_changelist", {}),
    "sessions": ("admin:talk_calls_session_changelist", {}),
    "fresh sessions in call": ("admin:talk_calls_session_changelist", {"in_call": "yes"}),
    "call history": ("admin:talk_calls_callevent_changelist", {}),
    "notifications": ("admin:talk_calls_callnotification_changelist", {}),
    "consents": ("admin:talk_calls_recordingconsent_changelist", {}),
}


def make_rooms(count, sessions_per_room, *, prefix):
    """Bulk-insert ``count`` rooms with calls, two attendees each and their sessions, history and rings."""
    rooms = Room.objects.bulk_create(RoomFactory.build(with_call=True) for _ in range(count))
    attendees = Attendee.objects.bulk_create(
        AttendeeFactory.build(room=room, user=None, display_name=f"{prefix}-{room.token}-{n}")
        for room in rooms
        for n in range(2)
    )
    Session.objects.bulk_create(
        SessionFactory.build(attendee=attendees[i % len(attendees)], session_id=f"{prefix}-{i:08d}", joined=i % 3 != 0)
        for i in range(sessions_per_room * count)
    )
    CallEvent.objects.bulk_create(
        CallEventFactory.build(room=room, kind=CallEventKind.CALL_STARTED, actor_id=f"{prefix}{room.pk}")
        for room in rooms
    )
    CallNotification.objects.bulk_create(CallNotificationFactory.build(attendee=a, user=None) for a in attendees[::2])
    RecordingConsent.objects.bulk_create(RecordingConsentFactory.build(room=room) for room in rooms)


def query_counts(client):
    counts = {}
    for name, (url_name, params) in PAGES.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url_name), params)
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


def test_changelists_keep_a_constant_number_of_queries(admin_client):
    make_rooms(2, 3, prefix="few")
    few = query_counts(admin_client)

    make_rooms(ROOMS, SESSIONS // ROOMS, prefix="many")
    assert Room.objects.count() == ROOMS + 2
    assert Session.objects.count() == SESSIONS + 6
    many = query_counts(admin_client)

    assert many == few
    rooms_page = admin_client.get(reverse("admin:talk_calls_room_changelist")).content.decode()
    assert f"{ROOMS + 2} rooms" in rooms_page
    sessions_page = admin_client.get(reverse("admin:talk_calls_session_changelist")).content.decode()
    assert f"{SESSIONS + 6} sessions" in sessions_page
