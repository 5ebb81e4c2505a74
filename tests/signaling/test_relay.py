"""Send and pull: relaying with ``from``, wake-ups, 404/409, last_ping, tabs."""

import asyncio
import json
import time
import types
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from talk_calls.constants import InCallFlag, ParticipantType, Permission
from talk_calls.models import Attendee, Session
from talk_calls.signaling import messages as signaling_messages
from talk_calls.signaling.messages import MAX_MESSAGE_LENGTH, MAX_MESSAGES_PER_REQUEST, RATE_LIMIT_MESSAGES
from talk_calls.views import signaling as signaling_views
from tests.factories import AttendeeFactory, RoomFactory

from .conftest import SIGNALING, AsyncOCS, body, data, message, relayed, run, users_in_room

pytestmark = pytest.mark.django_db(transaction=True)
AUDIO_VIDEO = InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO
ALL_MEDIA = Permission.CUSTOM | Permission.PUBLISH_AUDIO | Permission.PUBLISH_VIDEO | Permission.PUBLISH_SCREEN


@pytest.fixture
def two(transactional_db):
    room = RoomFactory()
    alice = AttendeeFactory(room=room, owner=True)
    bob = AttendeeFactory(room=room)
    return room, alice.user, bob.user


@pytest.fixture(params=["in-memory", "redis"])
def layer(request):
    """Run a test on the in-memory layer and on channels-redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_layer")
    return request.param


def test_a_message_reaches_the_waiting_poll_at_once_with_from_stamped(two, short_polls, layer):
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


def joined_pair(room, alice, bob, *, settle=True):
    """Return a coroutine function giving two clients with sessions, their polls settled."""

    async def make():
        a, b = AsyncOCS(alice), AsyncOCS(bob)
        sa, sb = await a.join(room.token), await b.join(room.token)
        if settle:
            await a.pull(room.token)
            await b.pull(room.token)
        return a, b, sa, sb

    return make


async def send_and_pull(sender, receiver, token, items, *, wait=0.3):
    """Send ``items`` while ``receiver`` polls; return (send response, poll response)."""
    poll = asyncio.ensure_future(receiver.pull(token))
    await asyncio.sleep(0.05)
    sent = await sender.send(token, items)
    if poll.done() and not relayed(data(poll.result())):
        # On a loaded machine the send can outlast the short poll, which then answered
        # empty before the messages existed; they wait in the queue for the next poll.
        return sent, await receiver.pull(token)
    return sent, await poll


def test_only_messages_to_live_sessions_of_the_same_room_from_the_own_session_are_relayed(two, short_polls):
    room, alice, bob = two
    elsewhere = AttendeeFactory(room=RoomFactory(), user=bob)

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        other_room_session = await AsyncOCS(bob).join(elsewhere.room.token)
        items = [
            message(sa, "no-such-session", "candidate"),
            message(sa, other_room_session, "candidate"),
            message(sb, sb, "candidate"),  # forged sender: bob's id from alice's cookie
            {"ev": "connect"},
            {"ev": "message", "fn": "not json", "sessionId": sa},
            {"ev": "message", "fn": '"a string"', "sessionId": sa},
            message(sa, sb, "candidate", payload={"n": 1}),
        ]
        return sa, await send_and_pull(a, b, room.token, items)

    sa, (sent, polled) = run(scenario)
    assert sent.status_code == 200
    assert [(m["from"], m["payload"]) for m in relayed(data(polled))] == [(sa, {"n": 1})]


@pytest.mark.parametrize(
    ("sender_type", "relayed_count"),
    [
        (ParticipantType.OWNER, 1),
        (ParticipantType.MODERATOR, 1),
        (ParticipantType.USER, 0),
        (ParticipantType.GUEST_MODERATOR, 0),
    ],
)
def test_control_messages_only_from_user_moderators(transactional_db, short_polls, sender_type, relayed_count):
    room = RoomFactory(public=True)
    receiver = AttendeeFactory(room=room)
    sender_user = (
        AttendeeFactory(room=room, participant_type=sender_type)
        if sender_type != ParticipantType.GUEST_MODERATOR
        else None
    )

    async def scenario():
        if sender_user is None:
            a = AsyncOCS()
            sa = await a.join(room.token)
            await sync_to_async(Attendee.objects.filter(sessions__session_id=sa).update)(
                participant_type=ParticipantType.GUEST_MODERATOR
            )
        else:
            a = AsyncOCS(sender_user.user)
            sa = await a.join(room.token)
        b = AsyncOCS(receiver.user)
        sb = await b.join(room.token)
        await b.pull(room.token)
        control = message(sa, sb, "control", payload={"action": "forceMute", "peerId": sb})
        return await send_and_pull(a, b, room.token, [control])

    sent, polled = run(scenario)
    assert sent.status_code == 200
    assert len(relayed(data(polled))) == relayed_count


def sdp(*sections, session_direction=""):
    lines = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    if session_direction:
        lines.append(f"a={session_direction}")
    for kind, direction in sections:
        lines.append(f"m={kind} 9 UDP/TLS/RTP/SAVPF 111")
        if direction:
            lines.append(f"a={direction}")
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    ("permissions", "room_type", "offer", "delivered"),
    [
        (ALL_MEDIA, "video", sdp(("audio", "sendrecv"), ("video", "sendrecv")), True),
        (
            Permission.CUSTOM | Permission.PUBLISH_AUDIO,
            "video",
            sdp(("audio", "sendrecv"), ("video", "sendrecv")),
            False,
        ),
        (
            Permission.CUSTOM | Permission.PUBLISH_AUDIO,
            "video",
            sdp(("audio", "sendrecv"), ("video", "recvonly")),
            True,
        ),
        (Permission.CUSTOM | Permission.PUBLISH_VIDEO, "video", sdp(("audio", ""), ("video", "sendonly")), False),
        (Permission.CUSTOM, "video", sdp(("audio", ""), ("video", ""), session_direction="recvonly"), True),
        (
            Permission.CUSTOM | Permission.PUBLISH_AUDIO | Permission.PUBLISH_VIDEO,
            "screen",
            sdp(("video", "sendonly")),
            False,
        ),
        (Permission.CUSTOM | Permission.PUBLISH_SCREEN, "screen", sdp(("video", "sendonly")), True),
        (ALL_MEDIA, "video", None, False),
    ],
)
def test_offers_may_only_send_what_the_sender_may_publish(
    transactional_db, short_polls, permissions, room_type, offer, delivered
):
    room = RoomFactory()
    sender = AttendeeFactory(room=room, permissions=int(permissions))
    receiver = AttendeeFactory(room=room)

    async def scenario():
        a, b, sa, sb = await joined_pair(room, sender.user, receiver.user)()
        item = message(sa, sb, "offer", roomType=room_type, payload={"type": "offer", "sdp": offer, "nick": "x"})
        return await send_and_pull(a, b, room.token, [item])

    _sent, polled = run(scenario)
    assert len(relayed(data(polled))) == (1 if delivered else 0)


def test_limits_answer_4xx_and_relay_nothing(two, short_polls, settings):
    room, alice, bob = two

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        answers = {
            "not json": await a.post(
                f"{SIGNALING}/{room.token}", {"messages": "[nope"}, content_type="application/json"
            ),
            "not a list": await a.post(
                f"{SIGNALING}/{room.token}", {"messages": '{"a": 1}'}, content_type="application/json"
            ),
            "missing": await a.post(f"{SIGNALING}/{room.token}", {}, content_type="application/json"),
            "too many": await a.send(room.token, [message(sa, sb)] * (MAX_MESSAGES_PER_REQUEST + 1)),
            "too long": await a.send(room.token, [message(sa, sb, payload={"x": "y" * MAX_MESSAGE_LENGTH})]),
        }
        polled = await b.pull(room.token)
        return answers, polled

    answers, polled = run(scenario)
    assert {k: (r.status_code, data(r)) for k, r in answers.items()} == {
        "not json": (400, {"error": "messages"}),
        "not a list": (400, {"error": "messages"}),
        "missing": (400, {"error": "messages"}),
        "too many": (413, {"error": "messages"}),
        "too long": (413, {"error": "message"}),
    }
    assert relayed(data(polled)) == []


def test_a_session_over_its_message_rate_gets_429(two, short_polls, monkeypatch):
    room, alice, bob = two
    # The limit counts per fixed window of the clock: hold the clock inside one window, so a
    # slow run cannot cross into the next one halfway and start counting afresh.
    frozen = time.time()
    monkeypatch.setattr(signaling_messages, "time", types.SimpleNamespace(time=lambda: frozen))

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        batch = [message(sa, sb)] * MAX_MESSAGES_PER_REQUEST
        statuses = [
            (await a.send(room.token, batch)).status_code
            for _ in range(RATE_LIMIT_MESSAGES // MAX_MESSAGES_PER_REQUEST + 1)
        ]
        return statuses, data(await a.send(room.token, [message(sa, sb)]))

    statuses, last = run(scenario)
    assert statuses[:-1] == [200] * (len(statuses) - 1)
    assert statuses[-1] == 429 and last == {"error": "rate"}


def test_form_bodies_work_too(two, short_polls):
    room, alice, bob = two

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        poll = asyncio.ensure_future(b.pull(room.token))
        await asyncio.sleep(0.05)
        sent = await a.post(f"{SIGNALING}/{room.token}", {"messages": json.dumps([message(sa, sb)])})
        return sent, await poll

    sent, polled = run(scenario)
    assert sent.status_code == 200 and len(relayed(data(polled))) == 1


def test_without_a_session_pull_is_404_with_an_empty_user_list_and_send_relays_nothing(two):
    room, alice, _bob = two

    async def scenario():
        a = AsyncOCS(alice)
        return await a.pull(room.token), await a.send(room.token, [message("x", "y")])

    polled, sent = run(scenario)
    assert polled.status_code == 404
    assert data(polled) == [{"type": "usersInRoom", "data": []}]
    assert body(polled)["ocs"]["meta"]["statuscode"] == 404
    assert sent.status_code == 200 and data(sent) is None


def test_a_poll_whose_session_is_replaced_answers_409_and_after_leaving_404(two):
    room, alice, _bob = two

    async def scenario():
        a = AsyncOCS(alice)
        await a.join(room.token)
        await a.pull(room.token)
        waiting = asyncio.ensure_future(a.pull(room.token))
        await asyncio.sleep(0.05)
        await a.join(room.token)  # the same browser joins again: the first session is replaced
        replaced = await asyncio.wait_for(waiting, 5)
        await a.pull(room.token)
        waiting = asyncio.ensure_future(a.pull(room.token))
        await asyncio.sleep(0.05)
        await a.leave_room(room.token)
        return replaced, await asyncio.wait_for(waiting, 5)

    replaced, left = run(scenario)
    assert replaced.status_code == 409
    assert data(replaced)[-1] == {"type": "usersInRoom", "data": []}
    assert left.status_code == 404


def test_a_guest_whose_session_is_replaced_gets_409_and_one_that_left_404(transactional_db):
    room = RoomFactory(public=True)

    async def scenario():
        guest = AsyncOCS()
        await guest.join(room.token)
        await guest.pull(room.token)
        answers = []
        for action in (guest.join, guest.leave_room):
            waiting = asyncio.ensure_future(guest.pull(room.token))
            await asyncio.sleep(0.05)
            await action(room.token)
            answers.append((await asyncio.wait_for(waiting, 5)).status_code)
            await guest.pull(room.token)
        return answers

    assert run(scenario) == [409, 404]


def test_a_poll_refreshes_last_ping_and_lists_sessions_with_their_flags(two, short_polls):
    room, alice, bob = two
    old = timezone.now() - timedelta(seconds=25)

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        await a.join_call(room.token, AUDIO_VIDEO)
        await sync_to_async(Session.objects.filter(session_id=sb).update)(last_ping=old)
        polled = await b.pull(room.token)
        return sa, sb, polled

    sa, sb, polled = run(scenario)
    assert Session.objects.get(session_id=sb).last_ping > old + timedelta(seconds=20)
    entries = {u["sessionId"]: u for u in users_in_room(data(polled))}
    alice_entry = entries[sa]
    assert alice_entry["inCall"] == AUDIO_VIDEO
    assert alice_entry["userId"] == alice.get_username() == alice_entry["actorId"]
    assert alice_entry["actorType"] == "users" and alice_entry["roomId"] == room.pk
    assert alice_entry["participantPermissions"] == Attendee.objects.get(sessions__session_id=sa).effective_permissions(
        room
    )
    assert entries[sb]["inCall"] == 0


def test_a_message_for_a_session_that_left_is_gone_with_it(two, short_polls):
    room, alice, bob = two

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        await a.send(room.token, [message(sa, sb, payload={"n": 1})])
        await b.leave_room(room.token)
        await b.join(room.token)
        return data(await b.pull(room.token))

    assert relayed(run(scenario)) == []


def test_undelivered_messages_expire(two, short_polls, settings):
    room, alice, bob = two
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"expiry": 1}}}

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        await a.send(room.token, [message(sa, sb, payload={"n": 1})])
        await asyncio.sleep(1.2)
        return data(await b.pull(room.token))

    assert relayed(run(scenario)) == []


def test_two_tabs_of_one_browser_hold_two_sessions_and_leaving_without_a_tab_ends_both(two, short_polls):
    room, alice, _bob = two
    tab_one, tab_two = "a" * 64, "B1" * 32

    async def scenario():
        one = AsyncOCS(alice, tab=tab_one)
        first = await one.join(room.token)
        two_ = AsyncOCS(alice, tab=tab_two)
        two_.cookies = one.cookies  # the same browser: one cookie jar
        second = await two_.join(room.token)
        listed = users_in_room(data(await one.pull(room.token)))
        plain = AsyncOCS(alice)
        plain.cookies = one.cookies
        await plain.leave_room(room.token)
        return first, second, listed, await one.pull(room.token)

    first, second, listed, after = run(scenario)
    assert first != second
    assert {u["sessionId"] for u in listed} == {first, second}
    assert after.status_code == 404
    assert not Session.objects.filter(session_id__in=[first, second]).exists()


def test_a_malformed_tab_id_counts_as_none(two):
    room, alice, _bob = two

    async def scenario():
        odd = AsyncOCS(alice, tab="short")
        first = await odd.join(room.token)
        plain = AsyncOCS(alice)
        plain.cookies = odd.cookies
        return first, await plain.pull(room.token)

    first, polled = run(scenario)
    assert polled.status_code == 200
    assert first in {u["sessionId"] for u in users_in_room(data(polled))}


def test_cookie_only_posts_need_the_ocs_header_and_basic_auth_does_not(two, short_polls):
    room, alice, bob = two

    async def scenario():
        a, b, sa, sb = await joined_pair(room, alice, bob)()
        a.talk_headers.pop("OCS-APIRequest")
        with_basic = await a.send(room.token, [message(sa, sb)])
        a.talk_headers.pop("Authorization")
        cookie_only = await a.send(room.token, [message(sa, sb)])
        return with_basic, cookie_only

    with_basic, cookie_only = run(scenario)
    assert with_basic.status_code == 200
    assert cookie_only.status_code == 412 and json.loads(cookie_only.content) == {"message": "CSRF check failed"}


def test_internal_endpoints_answer_400_when_another_mode_is_on(two, monkeypatch):
    room, alice, _bob = two
    monkeypatch.setattr(signaling_views, "signaling_mode", lambda: "external")

    async def scenario():
        a = AsyncOCS(alice)
        await a.join(room.token)
        return await a.pull(room.token), await a.send(room.token, [])

    for response in run(scenario):
        assert response.status_code == 400 and data(response) == "Internal signaling disabled."


def test_polls_work_on_a_host_with_atomic_requests(two, short_polls, settings):
    room, alice, bob = two
    settings.DATABASES["default"]["ATOMIC_REQUESTS"] = True
    try:

        async def scenario():
            a, b, sa, sb = await joined_pair(room, alice, bob)()
            return await send_and_pull(a, b, room.token, [message(sa, sb)])

        sent, polled = run(scenario)
    finally:
        settings.DATABASES["default"]["ATOMIC_REQUESTS"] = False
    assert sent.status_code == 200 and len(relayed(data(polled))) == 1


def test_unsupported_methods_are_ocs_405(two):
    room, alice, _bob = two

    async def scenario():
        return await AsyncOCS(alice).put(f"{SIGNALING}/{room.token}")

    response = run(scenario)
    assert response.status_code == 405 and body(response)["ocs"]["meta"]["statuscode"] == 405
