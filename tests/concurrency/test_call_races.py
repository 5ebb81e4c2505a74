"""Races on PostgreSQL with real threads (CONTRACT section 7, known problems R3/R6/R7).

Each thread opens its own connection (closed at the end), so the row locks and
conditional updates of the services meet for real. The threads start together at a
barrier; every round asserts what a client would then see.
"""

import pytest

from talk_calls.access import Participant
from talk_calls.constants import CallEventKind, InCallFlag
from talk_calls.models import Attendee, CallEvent, Room, Session
from talk_calls.services import calls
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory
from tests.helpers import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

END_KINDS = (CallEventKind.CALL_ENDED, CallEventKind.CALL_ENDED_EVERYONE, CallEventKind.CALL_MISSED)


def participant(session_pk):
    """Return a Participant read fresh from the database (each thread needs its own objects)."""
    session = Session.objects.select_related("attendee", "room").get(pk=session_pk)
    session.attendee.room = session.room
    return Participant(room=session.room, attendee=session.attendee, session=session)


def sessions_in_room(room, count, **attendee_kwargs):
    return [SessionFactory(attendee=AttendeeFactory(room=room, **attendee_kwargs)).pk for _ in range(count)]


def in_call_count(room):
    return Session.objects.filter(room=room).exclude(in_call=InCallFlag.DISCONNECTED).count()


def test_twenty_sessions_joining_at_once_start_exactly_one_call(transactional_db):
    room = RoomFactory()
    session_pks = sessions_in_room(room, 20)
    _, errors = run_together([lambda pk=pk: calls.join_call(participant(pk)) for pk in session_pks])
    assert errors == []
    assert Session.objects.fresh_in_call(room).count() == 20
    kinds = list(CallEvent.objects.filter(room=room).values_list("kind", flat=True))
    assert kinds.count(CallEventKind.CALL_STARTED) == 1
    assert kinds.count(CallEventKind.CALL_JOINED) == 19
    room.refresh_from_db()
    assert room.active_since is not None
    starter = CallEvent.objects.get(room=room, kind=CallEventKind.CALL_STARTED)
    assert Attendee.objects.get(pk=room.call_started_by_id).actor_id == starter.actor_id


@pytest.mark.parametrize("round_", range(5))
def test_everyone_leaving_while_a_moderator_ends_for_everyone_ends_the_call_once(transactional_db, round_):
    room = RoomFactory()
    moderator_pk = sessions_in_room(room, 1, moderator=True)[0]
    session_pks = sessions_in_room(room, 8)
    for pk in [moderator_pk, *session_pks]:
        calls.join_call(participant(pk))
    started_at = Room.objects.get(pk=room.pk).active_since
    actions = [lambda pk=pk: calls.leave_call(participant(pk)) for pk in session_pks]
    actions.append(lambda: calls.leave_call(participant(moderator_pk), end_for_all=True))
    _, errors = run_together(actions)
    assert errors == []
    assert in_call_count(room) == 0
    room.refresh_from_db()
    assert room.active_since is None and room.call_flag == 0
    ends = CallEvent.objects.filter(room=room, kind__in=END_KINDS, call_started_at=started_at)
    assert ends.count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_last_two_leaving_together_record_one_end(transactional_db, round_):
    room = RoomFactory()
    session_pks = sessions_in_room(room, 2)
    for pk in session_pks:
        calls.join_call(participant(pk))
    _, errors = run_together([lambda pk=pk: calls.leave_call(participant(pk)) for pk in session_pks])
    assert errors == []
    assert CallEvent.objects.filter(room=room, kind__in=END_KINDS).count() == 1
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_LEFT).count() == 2


@pytest.mark.parametrize("round_", range(10))
def test_flag_updates_racing_a_leave_never_put_the_session_back_in_the_call(transactional_db, round_):
    room = RoomFactory()
    pk, other_pk = sessions_in_room(room, 2)
    calls.join_call(participant(pk))
    calls.join_call(participant(other_pk))

    def update_flags():
        for flags in (InCallFlag.IN_CALL, InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO) * 3:
            calls.update_call_flags(participant(pk), flags=int(flags))

    _, errors = run_together([update_flags, lambda: calls.leave_call(participant(pk))])
    assert errors == []
    assert Session.objects.get(pk=pk).in_call == InCallFlag.DISCONNECTED


@pytest.mark.parametrize("round_", range(5))
def test_flag_updates_racing_end_for_everyone_leave_nobody_in_the_call(transactional_db, round_):
    room = RoomFactory()
    moderator_pk = sessions_in_room(room, 1, moderator=True)[0]
    session_pks = sessions_in_room(room, 5)
    for pk in [moderator_pk, *session_pks]:
        calls.join_call(participant(pk))
    actions = [
        lambda pk=pk: calls.update_call_flags(participant(pk), flags=int(InCallFlag.IN_CALL)) for pk in session_pks
    ]
    actions.append(lambda: calls.leave_call(participant(moderator_pk), end_for_all=True))
    _, errors = run_together(actions)
    assert errors == []
    assert in_call_count(room) == 0
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_ENDED_EVERYONE).count() == 1


@pytest.mark.parametrize("round_", range(5))
def test_joins_racing_end_for_everyone_never_leave_a_zombie_call(transactional_db, round_):
    room = RoomFactory()
    moderator_pk = sessions_in_room(room, 1, moderator=True)[0]
    calls.join_call(participant(moderator_pk))
    joiners = sessions_in_room(room, 6)
    actions = [lambda pk=pk: calls.join_call(participant(pk)) for pk in joiners]
    actions.append(lambda: calls.leave_call(participant(moderator_pk), end_for_all=True))
    _, errors = run_together(actions)
    assert errors == []
    room.refresh_from_db()
    if in_call_count(room):
        assert room.active_since is not None  # the joiners after the end started a new call
        assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_STARTED).count() == 2
    else:
        assert room.active_since is None


def test_twenty_clients_joining_over_http_at_once_start_one_call(transactional_db):
    from tests.helpers import call_url, in_room

    room = RoomFactory()
    clients = [in_room(room)[0] for _ in range(20)]
    statuses = []

    def join(client):
        statuses.append(client.ocs("POST", call_url(room.token)).status_code)

    _, errors = run_together([lambda client=client: join(client) for client in clients])
    assert errors == []
    assert statuses == [200] * 20
    assert len(clients[0].get(call_url(room.token)).json()["ocs"]["data"]) == 20
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_STARTED).count() == 1


def test_everyone_leaving_over_http_while_a_moderator_ends_for_everyone(transactional_db):
    from tests.helpers import call_url, in_call

    room = RoomFactory()
    moderator, _ = in_call(room, moderator=True)
    clients = [in_call(room)[0] for _ in range(10)]
    statuses = []

    def request(client, data=None):
        statuses.append(client.ocs("DELETE", call_url(room.token), data).status_code)

    actions = [lambda client=client: request(client) for client in clients]
    actions.append(lambda: request(moderator, {"all": True}))
    _, errors = run_together(actions)
    assert errors == []
    assert statuses == [200] * 11
    assert in_call_count(room) == 0
    assert CallEvent.objects.filter(room=room, kind__in=END_KINDS).count() == 1
