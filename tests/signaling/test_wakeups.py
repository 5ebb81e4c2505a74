"""Every participant change wakes the room's waiting polls with a fresh usersInRoom; queries
stay fixed; a polling client stays in the call."""

import asyncio
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from talk_calls.constants import InCallFlag, Permission
from talk_calls.models import Attendee, Session
from talk_calls.services.sessions import expire_stale_sessions
from talk_calls.signaling import relay
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory
from tests.helpers import V4, OCSClient, ocs_data

from .conftest import AsyncOCS, data, run, users_in_room

pytestmark = pytest.mark.django_db(transaction=True)
IN_CALL = InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO


async def put(client, path, payload):
    response = await client.put(
        f"{V4}/room/{{token}}{path}".format(token=client.token), payload, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response


async def carol_joins(ctx):
    await ctx["carol"].join(ctx["token"])


async def carol_leaves(ctx):
    await ctx["carol"].leave_room(ctx["token"])


async def alice_joins_the_call(ctx):
    await ctx["alice"].join_call(ctx["token"], IN_CALL)


async def alice_changes_flags(ctx):
    response = await ctx["alice"].put(
        f"{V4}/call/{ctx['token']}", {"flags": InCallFlag.IN_CALL}, content_type="application/json"
    )
    assert response.status_code == 200


async def bob_gets_permissions(ctx):
    await put(
        ctx["alice"],
        "/attendees/permissions",
        {
            "attendeeId": ctx["bob_attendee"],
            "method": "set",
            "permissions": int(Permission.CUSTOM | Permission.PUBLISH_AUDIO),
        },
    )


async def default_permissions_change(ctx):
    await put(ctx["alice"], "/permissions/default", {"permissions": int(Permission.CUSTOM | Permission.PUBLISH_AUDIO)})


async def lobby_closes(ctx):
    await put(ctx["alice"], "/webinar/lobby", {"state": 1})


async def room_becomes_read_only(ctx):
    await put(ctx["alice"], "/read-only", {"state": 1})


async def call_ends_for_everyone(ctx):
    response = await ctx["alice"].delete(f"{V4}/call/{ctx['token']}", {"all": True}, content_type="application/json")
    assert response.status_code == 200


CHANGES = {
    "join": ([], carol_joins),
    "leave": ([carol_joins], carol_leaves),
    "call join": ([], alice_joins_the_call),
    "flags": ([alice_joins_the_call], alice_changes_flags),
    "attendee permissions": ([], bob_gets_permissions),
    "default permissions": ([], default_permissions_change),
    "lobby": ([], lobby_closes),
    "read-only": ([], room_becomes_read_only),
    "end for everyone": ([alice_joins_the_call], call_ends_for_everyone),
}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("layer", ["in-memory", "redis"])
def test_each_kind_of_participant_change_wakes_a_waiting_poll(transactional_db, change, layer, request):
    if layer == "redis":
        request.getfixturevalue("redis_layer")
    room = RoomFactory(public=True)
    alice = AttendeeFactory(room=room, owner=True)
    bob = AttendeeFactory(room=room)
    carol = AttendeeFactory(room=room)
    before, act = CHANGES[change]

    async def scenario():
        ctx = {"token": room.token, "bob_attendee": bob.pk}
        for name, attendee in (("alice", alice), ("bob", bob), ("carol", carol)):
            ctx[name] = AsyncOCS(attendee.user)
            ctx[name].token = room.token
        await ctx["alice"].join(room.token)
        await ctx["bob"].join(room.token)
        for step in before:
            await step(ctx)
        await ctx["bob"].pull(room.token)  # collect the wake-ups so far
        waiting = asyncio.ensure_future(ctx["bob"].pull(room.token))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        started = time.monotonic()
        await act(ctx)
        response = await asyncio.wait_for(waiting, 10)
        return response, time.monotonic() - started

    response, elapsed = run(scenario)
    assert response.status_code == 200
    assert users_in_room(data(response))  # a fresh list
    assert elapsed < 2  # the poll waits 30 s otherwise


def test_a_session_removed_by_expiry_wakes_the_room(transactional_db):
    room = RoomFactory()
    alice, bob = AttendeeFactory(room=room), AttendeeFactory(room=room)
    stale = SessionFactory(attendee=bob, stale=True)

    async def scenario():
        a = AsyncOCS(alice.user)
        await a.join(room.token)
        await a.pull(room.token)
        waiting = asyncio.ensure_future(a.pull(room.token))
        await asyncio.sleep(0.1)
        await sync_to_async(expire_stale_sessions)()
        return await asyncio.wait_for(waiting, 5)

    response = run(scenario)
    assert stale.session_id not in {u["sessionId"] for u in users_in_room(data(response))}


def queries_of_a_poll(room_size: int, timeout: float, monkeypatch) -> tuple[int, float]:
    """Return (queries, seconds) of one poll of a room with ``room_size`` other sessions that times out."""
    from talk_calls.views import signaling as signaling_views

    monkeypatch.setattr(signaling_views, "PULL_TIMEOUT", timeout)
    room = RoomFactory()
    me = AttendeeFactory(room=room)
    for _ in range(room_size):
        SessionFactory(attendee=AttendeeFactory(room=room), joined=True)

    async def scenario():
        client = AsyncOCS(me.user)
        await client.join(room.token)
        await client.pull(room.token)
        # Count at the cursor of every thread: the steps of a poll run in Django's
        # per-request thread, and the connection is closed before the wait.
        queries = []
        real_execute = CursorWrapper._execute

        def counting_execute(self, sql, *args, **kwargs):
            queries.append(sql)
            return real_execute(self, sql, *args, **kwargs)

        monkeypatch.setattr(CursorWrapper, "_execute", counting_execute)
        started = time.monotonic()
        response = await client.pull(room.token)
        elapsed = time.monotonic() - started
        monkeypatch.setattr(CursorWrapper, "_execute", real_execute)
        assert response.status_code == 200
        assert len(users_in_room(data(response))) == room_size + 1
        return len(queries), elapsed

    return run(scenario)


def test_a_waiting_poll_runs_no_query_and_a_returning_one_a_fixed_number(transactional_db, monkeypatch):
    short, short_time = queries_of_a_poll(2, 0.2, monkeypatch)
    long, long_time = queries_of_a_poll(2, 1.5, monkeypatch)
    big, _ = queries_of_a_poll(25, 0.2, monkeypatch)
    assert long_time > 1.4 and short_time < 1
    # Waiting 1.3 s longer costs nothing; 25 sessions cost what 2 do.
    # Django session, user, Talk session, last_ping; then the session and room, the list.
    assert short == long == big == 6


def test_a_polling_session_stays_in_the_call_and_a_silent_one_leaves(transactional_db, settings, monkeypatch):
    settings.TALK_CALLS = {"SESSION_PING_TIMEOUT": 30, "SESSION_KILL_TIMEOUT": 100}
    room = RoomFactory()
    alice, bob = AttendeeFactory(room=room), AttendeeFactory(room=room)
    long_ago = timezone.now() - timedelta(seconds=40)

    async def scenario():
        a, b = AsyncOCS(alice.user), AsyncOCS(bob.user)
        sa, sb = await a.join(room.token), await b.join(room.token)
        await a.join_call(room.token, IN_CALL)
        await b.join_call(room.token, IN_CALL)
        # Both were last seen 40 s ago (past SESSION_PING_TIMEOUT); only alice's page polls.
        await sync_to_async(Session.objects.filter(session_id__in=[sa, sb]).update)(last_ping=long_ago)
        await a.pull(room.token)
        return sa, sb

    sa, sb = run(scenario)
    in_call = OCSClient(alice.user)
    in_call.join_room(room.token)  # a third session of alice, just to read GET /call
    listed = {p["sessionId"] for p in ocs_data(in_call.get(f"{V4}/call/{room.token}"))}
    assert sa in listed and sb not in listed
    assert Attendee.objects.filter(pk=bob.pk).exists()


@pytest.mark.parametrize("layer", ["in-memory", "redis"])
def test_ending_a_call_for_more_sessions_than_the_direct_limit_wakes_polls_through_the_group(
    transactional_db, layer, request
):
    if layer == "redis":
        request.getfixturevalue("redis_layer")
    room = RoomFactory(public=True)
    alice = AttendeeFactory(room=room, owner=True)
    bob = AttendeeFactory(room=room)
    for _ in range(relay.DIRECT_WAKE_LIMIT + 10):
        SessionFactory(attendee=AttendeeFactory(room=room), joined=True)

    async def scenario():
        alice_client, bob_client = AsyncOCS(alice.user), AsyncOCS(bob.user)
        await alice_client.join(room.token)
        await bob_client.join(room.token)
        await alice_client.join_call(room.token, IN_CALL)
        await bob_client.join_call(room.token, IN_CALL)
        await bob_client.pull(room.token)  # collect the wake-ups so far
        waiting = asyncio.ensure_future(bob_client.pull(room.token))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        started = time.monotonic()
        response = await alice_client.delete(f"{V4}/call/{room.token}", {"all": True}, content_type="application/json")
        assert response.status_code == 200
        return await asyncio.wait_for(waiting, 10), time.monotonic() - started

    response, elapsed = run(scenario)
    assert response.status_code == 200
    assert Session.objects.filter(room=room, in_call__gt=0).count() == 0
    in_call = {entry["sessionId"]: entry["inCall"] for entry in users_in_room(data(response))}
    assert in_call and not any(in_call.values())  # the fresh list: nobody in the call
    assert elapsed < 2  # woken through the room's group, not by the 30 s timeout
