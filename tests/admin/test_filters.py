"""The list filters of the admin: each choice shows exactly the rows it names."""

import pytest
from django.urls import reverse
from django.utils import timezone

from talk_calls.models import CallNotification
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory

pytestmark = pytest.mark.django_db


def shown(admin_client, model, query):
    response = admin_client.get(reverse(f"admin:talk_calls_{model}_changelist"), query)
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


@pytest.fixture
def sessions(room):
    return {
        "fresh in call": SessionFactory(attendee=AttendeeFactory(room=room), joined=True),
        "fresh, not in call": SessionFactory(attendee=AttendeeFactory(room=room)),
        "not fresh in call": SessionFactory(attendee=AttendeeFactory(room=room), joined=True, not_fresh=True),
        "stale": SessionFactory(attendee=AttendeeFactory(room=room), stale=True),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"ping": "fresh"}, {"fresh in call", "fresh, not in call"}),
        ({"ping": "notfresh"}, {"not fresh in call"}),
        ({"ping": "stale"}, {"stale"}),
        ({"in_call": "yes"}, {"fresh in call"}),
        ({"in_call": "flag"}, {"fresh in call", "not fresh in call"}),
        ({"in_call": "no"}, {"fresh, not in call", "stale"}),
        ({}, {"fresh in call", "fresh, not in call", "not fresh in call", "stale"}),
    ],
)
def test_session_filters(admin_client, sessions, query, expected):
    assert shown(admin_client, "session", query) == {sessions[name] for name in expected}


def test_call_running_filter(admin_client):
    running = RoomFactory(active_since=timezone.now())
    idle = RoomFactory()
    assert shown(admin_client, "room", {"call": "yes"}) == {running}
    assert shown(admin_client, "room", {"call": "no"}) == {idle}


def test_processed_filter(admin_client, room):
    ringing = CallNotification.objects.create(room=room, attendee=AttendeeFactory(room=room))
    done = CallNotification.objects.create(room=room, attendee=AttendeeFactory(room=room), processed_at=timezone.now())
    assert shown(admin_client, "callnotification", {"processed": "no"}) == {ringing}
    assert shown(admin_client, "callnotification", {"processed": "yes"}) == {done}
