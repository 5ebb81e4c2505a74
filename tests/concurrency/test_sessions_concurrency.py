"""Parallel joins on PostgreSQL: no 500, one attendee per actor, one session per join."""

import pytest

from talk_calls.constants import ParticipantType
from talk_calls.models import Attendee, Session
from tests.factories import RoomFactory, UserFactory
from tests.helpers import OCSClient, room_url, run_in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARALLEL = 8


def test_one_user_self_joins_from_many_devices_at_once():
    room, user = RoomFactory(public=True), UserFactory()
    clients = [OCSClient(user, raise_request_exception=False) for _ in range(PARALLEL)]
    statuses = run_in_parallel([(c, "POST", room_url(room.token, "/participants/active")) for c in clients])
    assert statuses == [200] * PARALLEL
    attendee = Attendee.objects.get(room=room)
    assert attendee.participant_type == ParticipantType.USER_SELF_JOINED
    assert Session.objects.filter(attendee=attendee).count() == PARALLEL


def test_many_guests_join_at_once():
    room = RoomFactory(public=True)
    clients = [OCSClient(raise_request_exception=False) for _ in range(PARALLEL)]
    statuses = run_in_parallel([(c, "POST", room_url(room.token, "/participants/active")) for c in clients])
    assert statuses == [200] * PARALLEL
    assert Attendee.objects.filter(room=room).count() == PARALLEL
    assert Session.objects.filter(room=room).count() == PARALLEL


def test_many_devices_leave_at_once():
    room, user = RoomFactory(public=True), UserFactory()
    clients = [OCSClient(user, raise_request_exception=False) for _ in range(PARALLEL)]
    for client in clients:
        assert client.join_room(room.token).status_code == 200
    statuses = run_in_parallel([(c, "DELETE", room_url(room.token, "/participants/active")) for c in clients])
    assert statuses == [200] * PARALLEL
    assert not Session.objects.exists()
    assert not Attendee.objects.filter(room=room).exists()


@pytest.mark.parametrize("round_", range(10))
def test_one_device_leaving_while_another_joins_keeps_the_joiner(round_):
    """A self-joined attendee goes with its last session; a join racing that leave either
    reuses the attendee before or re-creates it after, never a half-deleted one (no 500)."""
    room, user = RoomFactory(public=True), UserFactory()
    leaving, joining = OCSClient(user, raise_request_exception=False), OCSClient(user, raise_request_exception=False)
    assert leaving.join_room(room.token).status_code == 200
    path = room_url(room.token, "/participants/active")
    leave, join = run_in_parallel([(leaving, "DELETE", path), (joining, "POST", path)])
    assert (leave, join) == (200, 200)
    attendee = Attendee.objects.get(room=room)
    assert attendee.participant_type == ParticipantType.USER_SELF_JOINED
    assert Session.objects.filter(attendee=attendee).count() == 1
