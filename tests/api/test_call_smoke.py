import pytest

from talk_calls.constants import CallEventKind, InCallFlag
from talk_calls.models import CallEvent, Room
from tests.factories import AttendeeFactory
from tests.helpers import call_url, ocs_data

pytestmark = pytest.mark.django_db


def test_two_users_join_and_leave_call(client_for, room):
    alice, bob = AttendeeFactory(room=room, owner=True), AttendeeFactory(room=room)
    a, b = client_for(alice.user), client_for(bob.user)
    assert a.join_room(room.token).status_code == 200
    assert b.join_room(room.token).status_code == 200
    assert a.ocs("POST", call_url(room.token), {"flags": 3}).status_code == 200
    assert b.ocs("POST", call_url(room.token)).status_code == 200
    peers = ocs_data(a.get(call_url(room.token)))
    assert sorted(p["actorId"] for p in peers) == sorted([alice.actor_id, bob.actor_id])
    room.refresh_from_db()
    assert room.active_since is not None
    assert room.call_flag == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO
    assert a.ocs("DELETE", call_url(room.token)).status_code == 200
    assert b.ocs("DELETE", call_url(room.token)).status_code == 200
    assert Room.objects.get(pk=room.pk).active_since is None
    kinds = list(CallEvent.objects.filter(room=room).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        CallEventKind.CALL_STARTED,
        CallEventKind.CALL_JOINED,
        CallEventKind.CALL_LEFT,
        CallEventKind.CALL_LEFT,
        CallEventKind.CALL_ENDED,
    ]
