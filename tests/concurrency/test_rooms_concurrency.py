"""Parallel room changes on PostgreSQL: the room lock serialises them, nobody gets a 500."""

import pytest

from talk_calls.models import Attendee, Room
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import OCSClient, room_url, run_in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_last_two_moderators_leaving_at_once_leave_one_behind():
    room = RoomFactory()
    moderators = [AttendeeFactory(room=room, owner=True), AttendeeFactory(room=room, moderator=True)]
    AttendeeFactory(room=room)
    clients = [OCSClient(m.user, raise_request_exception=False) for m in moderators]
    statuses = run_in_parallel([(c, "DELETE", room_url(room.token, "/participants/self")) for c in clients])
    assert sorted(statuses) == [200, 400]
    assert Attendee.objects.filter(room=room).moderators().count() == 1


def test_deleting_a_room_twice_at_once_is_one_200_and_one_404():
    room = RoomFactory()
    owners = [AttendeeFactory(room=room, owner=True) for _ in range(2)]
    clients = [OCSClient(o.user, raise_request_exception=False) for o in owners]
    for client in clients:
        client.get(room_url(room.token))  # Basic auth checked before the race
    statuses = run_in_parallel([(c, "DELETE", room_url(room.token)) for c in clients])
    assert sorted(statuses) == [200, 404]
    assert not Room.objects.filter(pk=room.pk).exists()
