"""Query counts: the hot call endpoints cost the same whatever the number of peers (known problems P4/P10)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AttendeeFactory, SessionFactory
from tests.helpers import call_url, in_call, in_room, ocs_data

pytestmark = pytest.mark.django_db


def add_peers(room, count):
    for _ in range(count):
        SessionFactory(attendee=AttendeeFactory(room=room), joined=True)


def queries_of(request):
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, response.content
    return len(captured), response


def test_get_call_costs_the_same_for_10_and_200_peers(room, django_assert_num_queries, settings):
    # Peers are added behind the services' back: every GET reads the list (no cache).
    settings.TALK_CALLS = {"PEER_LIST_MAX_AGE": 0}
    client, _ = in_call(room)
    add_peers(room, 9)
    small, response = queries_of(lambda: client.get(call_url(room.token)))
    assert len(ocs_data(response)) == 10
    add_peers(room, 190)
    with django_assert_num_queries(small):
        response = client.get(call_url(room.token))
    assert len(ocs_data(response)) == 200


def test_join_and_leave_cost_the_same_for_10_and_200_peers(db, django_assert_num_queries):
    from tests.factories import RoomFactory

    counts = []
    for peers in (10, 200):
        room = RoomFactory()
        in_call(room)
        add_peers(room, peers - 1)
        client, _ = in_room(room)
        join, _ = queries_of(lambda client=client, room=room: client.ocs("POST", call_url(room.token)))
        leave, _ = queries_of(lambda client=client, room=room: client.ocs("DELETE", call_url(room.token)))
        counts.append((join, leave))
    assert counts[0] == counts[1]


def test_starting_a_call_costs_the_same_whether_it_rings_10_or_100_users(db):
    # 100, not more: Django 5.2 caps SQLite statements at 999 parameters, so a larger
    # bulk_create of ringing rows is split into batches there.
    from tests.factories import RoomFactory

    counts = []
    for members in (10, 100):
        room = RoomFactory()
        for _ in range(members):
            AttendeeFactory(room=room)
        client, _ = in_room(room)
        start, _ = queries_of(lambda client=client, room=room: client.ocs("POST", call_url(room.token)))
        counts.append(start)
    assert counts[0] == counts[1]


def test_notification_state_costs_the_same_for_10_and_200_members(db, django_assert_num_queries):
    from tests.factories import RoomFactory
    from tests.helpers import user_client

    counts = []
    for members in (10, 200):
        room = RoomFactory()
        attendees = [AttendeeFactory(room=room) for _ in range(members)]
        in_call(room)
        client = user_client(attendees[0].user)
        count, _ = queries_of(lambda client=client, room=room: client.get(call_url(room.token, "/notification-state")))
        counts.append(count)
    assert counts[0] == counts[1]


def test_end_for_everyone_costs_the_same_for_10_and_200_peers(db):
    from tests.factories import RoomFactory

    counts = []
    for peers in (10, 200):
        room = RoomFactory()
        client, _ = in_call(room, moderator=True)
        add_peers(room, peers - 1)
        end, _ = queries_of(lambda client=client, room=room: client.ocs("DELETE", call_url(room.token), {"all": True}))
        counts.append(end)
    assert counts[0] == counts[1]


def test_the_last_leave_ending_the_call_costs_the_same_for_10_and_200_who_attended(db):
    """The end records who attended and takes sessions that stopped pinging out of the call."""
    from datetime import timedelta

    from django.utils import timezone

    from talk_calls.models import Attendee, Session
    from tests.factories import RoomFactory

    counts = []
    for peers in (10, 200):
        room = RoomFactory()
        client, _ = in_call(room)
        add_peers(room, peers - 1)
        Attendee.objects.filter(room=room).update(last_joined_call=timezone.now())
        Session.objects.filter(room=room).exclude(pk__in=Session.objects.filter(room=room).order_by("pk")[:1]).update(
            last_ping=timezone.now() - timedelta(seconds=45)
        )
        leave, _ = queries_of(lambda client=client, room=room: client.ocs("DELETE", call_url(room.token)))
        assert not Session.objects.filter(room=room).exclude(in_call=0).exists()
        counts.append(leave)
    assert counts[0] == counts[1]
