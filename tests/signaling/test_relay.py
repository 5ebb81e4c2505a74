"""Send and pull: relaying with ``from``, wake-ups, 404/409, last_ping, tabs."""

import asyncio
import time

import pytest

from talk_calls.constants import InCallFlag
from tests.factories import AttendeeFactory, RoomFactory

from .conftest import AsyncOCS, data, message, relayed, run, users_in_room

pytestmark = pytest.mark.django_db(transaction=True)
AUDIO_VIDEO = InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO


@pytest.fixture
def two(transactional_db):
    room = RoomFactory()
    alice = AttendeeFactory(room=room, owner=True)
    bob = AttendeeFactory(room=room)
    return room, alice.user, bob.user


def test_a_message_reaches_the_waiting_poll_at_once_with_from_stamped(two, short_polls):
    room, alice, bob = two

    async def scenario():
        a, b = AsyncOCS(alice), AsyncOCS(bob)
        sa, sb = await a.join(room.token), await b.join(room.token)
        await a.pull(room.token)
        await b.pull(room.token)
        poll = asyncio.ensure_future(b.pull(room.token))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        sent = await a.send(room.token, [message(sa, sb, "candidate", payload={"candidate": "x"})])
        response = await poll
        return sa, sb, sent, response, time.monotonic() - started

    sa, sb, sent, response, elapsed = run(scenario)
    assert sent.status_code == 200 and data(sent) is None
    assert response.status_code == 200
    entries = data(response)
    assert relayed(entries) == [
        {"to": sb, "type": "candidate", "roomType": "video", "payload": {"candidate": "x"}, "from": sa}
    ]
    assert {u["sessionId"] for u in users_in_room(entries)} == {sa, sb}
    assert elapsed < 1  # the poll's own timer is 1 s: it was woken by the message
