"""Parallel room changes on PostgreSQL: the room lock serialises them, nobody gets a 500."""

import threading

import pytest
from django.db import connection

from talk_calls.models import Attendee, Room

from .factories import AttendeeFactory, RoomFactory
from .ocs import OCSClient, room_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_parallel(requests):
    """Run ``(client, method, path)`` requests at once; return their statuses in order."""
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)

    def work(index, client, method, path):
        try:
            barrier.wait()
            statuses[index] = client.generic(method, path).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


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
