"""Query budgets of the hot call endpoints (issue 13), asserted exactly: they are deterministic.

Clients log in with Django's session cookie, and sessions live in a cache the workers
share (``cached_db``, as the demo settings choose when ``CACHE_URL`` names Redis): a
request then reads its Django session without a query. Every budget is checked at two
sizes, so none grows with the number of peers. BEGIN and COMMIT are not counted;
savepoints are.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from talk_calls.constants import InCallFlag
from talk_calls.models import CallNotification, Session
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory
from tests.helpers import call_url, in_call, in_room, ocs_data, room_url

# Without the test case's wrapping transaction, a service's atomic block is the outermost
# one, as in production: the counts are the statements a real request sends.
pytestmark = pytest.mark.django_db(transaction=True)

PING_FLAGS = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO)


@pytest.fixture(autouse=True)
def cached_sessions(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def add_peers(room, count):
    for _ in range(count):
        SessionFactory(attendee=AttendeeFactory(room=room), joined=True)


#: Transaction control: the SQLite backend runs BEGIN and COMMIT as statements, psycopg
#: does not; neither is a query of the request, so they are not counted on either.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


def is_transaction_control(sql):
    return sql.lstrip().upper().startswith(TRANSACTION_CONTROL)


def is_room_lock(sql):
    """Whether ``sql`` is ``lock_room``'s statement (an UPDATE of the peer list version, RETURNING the row)."""
    return sql.startswith('UPDATE "talk_calls_room" SET "peers_version"') and "RETURNING" in sql


def counted(request):
    """Send ``request()``; return (the SQL statements it ran, the response)."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, response.content
    return [query["sql"] for query in captured.captured_queries if not is_transaction_control(query["sql"])], response


@pytest.mark.parametrize("peers", [10, 60])
def test_get_call_costs_three_queries_and_two_with_the_list_cached(peers):
    room = RoomFactory()
    client, _ = in_call(room, flags=PING_FLAGS)
    add_peers(room, peers - 1)
    queries, response = counted(lambda: client.get(call_url(room.token)))
    assert len(ocs_data(response)) == peers
    assert len(queries) == 3, queries
    # Read again while nothing changed: the process's encoded list (talk_calls.peerlist).
    queries, response = counted(lambda: client.get(call_url(room.token)))
    assert len(ocs_data(response)) == peers
    assert len(queries) == 2, queries


@pytest.mark.parametrize("peers", [10, 60])
def test_get_room_costs_three_queries_at_most(peers):
    room = RoomFactory()
    client, _ = in_call(room, flags=PING_FLAGS)
    add_peers(room, peers - 1)
    queries, response = counted(lambda: client.get(room_url(room.token)))
    assert ocs_data(response)["token"] == room.token
    assert len(queries) <= 3, queries


@pytest.mark.parametrize("peers", [10, 60])
def test_a_ping_that_changes_nothing_costs_two_queries(peers):
    room = RoomFactory()
    client, attendee = in_call(room, flags=PING_FLAGS)
    add_peers(room, peers - 1)
    session = Session.objects.get(attendee=attendee)
    Session.objects.filter(pk=session.pk).update(last_ping=session.last_ping.replace(year=2000))
    queries, _ = counted(lambda: client.ocs("PUT", call_url(room.token), {"flags": PING_FLAGS}))
    assert len(queries) == 2, queries
    refreshed = Session.objects.get(pk=session.pk)
    assert refreshed.in_call == PING_FLAGS and refreshed.last_ping.year > 2000


@pytest.mark.parametrize("members", [10, 60])
def test_starting_a_call_costs_eight_queries_at_most_and_rings_in_one_insert(members):
    # Who to ring and their rows are one INSERT ... SELECT, the rows of earlier calls are
    # marked processed only when the read under the lock saw some, and on PostgreSQL the
    # session's flags and the attendee's lastJoinedCall are one statement (a data-modifying
    # WITH, which SQLite lacks: one more statement there).
    room = RoomFactory()
    for _ in range(members - 1):
        AttendeeFactory(room=room)
    client, attendee = in_room(room)
    queries, _ = counted(lambda: client.ocs("POST", call_url(room.token), {"flags": PING_FLAGS}))
    assert CallNotification.objects.filter(room=room).count() == members - 1
    inserts = [sql for sql in queries if "INSERT" in sql and "callnotification" in sql]
    assert len(inserts) == 1, inserts
    assert len(queries) <= (8 if connection.vendor == "postgresql" else 9), queries
    attendee.refresh_from_db()
    assert attendee.last_joined_call is not None
    assert Session.objects.get(attendee=attendee).in_call == PING_FLAGS


@pytest.mark.parametrize("peers", [10, 60])
def test_joining_a_running_call_and_leaving_it_stay_within_budget(peers):
    room = RoomFactory()
    in_call(room, flags=PING_FLAGS)
    add_peers(room, peers - 2)
    client, _ = in_room(room)
    join, _ = counted(lambda: client.ocs("POST", call_url(room.token), {"flags": PING_FLAGS}))
    leave, _ = counted(lambda: client.ocs("DELETE", call_url(room.token)))
    assert len(join) <= 8, join
    assert len(leave) <= 6, leave


def test_end_for_everyone_locks_the_room_once_and_costs_the_same_at_any_size():
    counts = []
    for peers in (10, 200):
        room = RoomFactory()
        client, _ = in_call(room, moderator=True)
        add_peers(room, peers - 1)
        queries, _ = counted(lambda client=client, room=room: client.ocs("DELETE", call_url(room.token), {"all": True}))
        assert not Session.objects.filter(room=room).exclude(in_call=0).exists()
        locks = [sql for sql in queries if "FOR UPDATE" in sql or is_room_lock(sql)]
        assert locks, queries
        assert len(locks) <= 1, locks
        counts.append(len(queries))
    assert counts[0] == counts[1]
