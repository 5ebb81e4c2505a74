"""Call-state invariants across the leave, end and rejoin paths (CONTRACT section 7,
talk-known-problems section 3 properties 1, 2 and 8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from talk_calls.access import Participant
from talk_calls.constants import CallEventKind, InCallFlag, ParticipantType, Permission
from talk_calls.exceptions import RoomNotFound
from talk_calls.models import Attendee, CallEvent, Room, Session
from talk_calls.services import calls, sessions
from tests.factories import RoomFactory, UserFactory
from tests.helpers import OCSClient, call_url, in_call, in_room, ocs_data

pytestmark = pytest.mark.django_db

NO_START = int(Permission.CUSTOM | Permission.PUBLISH_AUDIO | Permission.PUBLISH_VIDEO)


def kinds(room):
    return list(CallEvent.objects.filter(room=room).order_by("id").values_list("kind", flat=True))


def make_not_fresh(attendee):
    Session.objects.filter(attendee=attendee).update(last_ping=timezone.now() - timedelta(seconds=45))


def test_a_call_that_ends_takes_not_fresh_sessions_out_of_it_too(room):
    """After the last fresh participant leaves, no session still says it is in the call."""
    alice_client, _ = in_call(room)
    _, bob = in_call(room)
    make_not_fresh(bob)  # Bob's client stopped pinging 45 s ago
    assert alice_client.ocs("DELETE", call_url(room.token)).status_code == 200
    room.refresh_from_db()
    assert room.active_since is None
    assert not Session.objects.filter(room=room).exclude(in_call=InCallFlag.DISCONNECTED).exists()


def test_a_client_back_after_its_call_ended_starts_a_new_call(room):
    alice_client, _ = in_call(room)
    bob_client, bob = in_call(room)
    make_not_fresh(bob)
    alice_client.ocs("DELETE", call_url(room.token))
    assert bob_client.ocs("POST", call_url(room.token)).status_code == 200
    room.refresh_from_db()
    assert room.active_since is not None and room.call_started_by_id == bob.pk
    assert kinds(room)[-1] == CallEventKind.CALL_STARTED


def test_flags_left_over_from_an_ended_call_do_not_bypass_the_start_call_permission(room):
    client, attendee = in_room(room, permissions=NO_START)
    Session.objects.filter(attendee=attendee).update(in_call=int(InCallFlag.IN_CALL))  # left over, no call runs
    response = client.ocs("POST", call_url(room.token))
    assert response.status_code == 403
    assert ocs_data(response) == []
    room.refresh_from_db()
    assert room.active_since is None
    assert kinds(room) == []


def test_put_from_a_session_of_an_ended_call_is_400_not_in_call(room):
    alice_client, _ = in_call(room)
    bob_client, bob = in_call(room)
    make_not_fresh(bob)
    alice_client.ocs("DELETE", call_url(room.token))
    response = bob_client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)})
    assert response.status_code == 400
    assert ocs_data(response) is None
    assert bob.sessions.get().in_call == InCallFlag.DISCONNECTED


# --- rooms deleted while a request runs ---------------------------------------------------


def participant_of(client, room, attendee):

    session = Session.objects.get(attendee=attendee)
    return Participant(room=room, attendee=attendee, session=session)


@pytest.mark.parametrize(
    "action",
    [
        lambda p: calls.join_call(p),
        lambda p: calls.leave_call(p),
        lambda p: calls.leave_call(p, end_for_all=True),
    ],
)
def test_a_room_deleted_while_a_call_request_runs_answers_404_not_500(room, action):
    client, attendee = in_room(room, moderator=True)
    participant = participant_of(client, room, attendee)
    Room.objects.filter(pk=room.pk).delete()
    with pytest.raises(RoomNotFound):
        action(participant)


def test_ending_a_session_of_a_room_deleted_meanwhile_does_nothing(room):
    client, attendee = in_room(room)
    session = Session.objects.select_related("room").get(attendee=attendee)
    Room.objects.filter(pk=room.pk).delete()
    sessions.remove_session(session, attendee=attendee)  # no error: the session went with the room
    assert not Session.objects.exists()


# --- rejoining ---------------------------------------------------------------------------


def test_a_self_joined_user_reloading_keeps_the_same_attendee(public_room):
    user = UserFactory()
    client = OCSClient(user, basic=False)
    first = ocs_data(client.join_room(public_room.token))
    second = ocs_data(client.join_room(public_room.token))
    assert first["attendeeId"] == second["attendeeId"]
    assert first["sessionId"] != second["sessionId"]
    attendee = Attendee.objects.get(room=public_room)
    assert attendee.participant_type == ParticipantType.USER_SELF_JOINED
    assert [s.session_id for s in attendee.sessions.all()] == [second["sessionId"]]


# --- expiry against a client that comes back ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_expiry_never_removes_a_session_whose_client_came_back_meanwhile():
    """The sweeper lists stale sessions, then removes them one by one: a client that pings
    in between (here: rejoins the call while the first one is removed) keeps its session."""
    from talk_calls import signals

    room = RoomFactory()
    _, gone = in_call(room)
    back_client, back = in_call(room)
    long_ago = timezone.now() - timedelta(seconds=600)
    Session.objects.filter(room=room).update(last_ping=long_ago)
    rejoined = []

    def client_comes_back(sender, **kwargs):
        if not rejoined:
            rejoined.append(None)
            rejoined[0] = back_client.ocs("POST", call_url(room.token)).status_code

    signals.participants_changed.connect(client_comes_back)
    try:
        sessions.expire_stale_sessions()
    finally:
        signals.participants_changed.disconnect(client_comes_back)
    assert rejoined == [200]
    assert not Session.objects.filter(attendee=gone).exists()
    session = Session.objects.get(attendee=back)
    assert session.in_call & InCallFlag.IN_CALL
    assert [peer["actorId"] for peer in ocs_data(back_client.get(call_url(room.token)))] == [back.actor_id]


# --- odd path values ----------------------------------------------------------------------


@pytest.mark.parametrize("attendee_id", ["0", "000", "9" * 18, "9" * 19, "-1", "1.5", "1e3", "%20", "abc"])
@pytest.mark.parametrize("endpoint", ["ring", "dialout"])
def test_odd_attendee_ids_answer_404_never_500(room, endpoint, attendee_id, settings):
    settings.TALK_CALLS = {"SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend"}
    client, _ = in_call(room, owner=True)
    client.raise_request_exception = False
    response = client.ocs("POST", call_url(room.token, f"/{endpoint}/{attendee_id}"))
    assert response.status_code == 404, response.content
    assert "ocs" in response.json()


@pytest.mark.parametrize("token", ["abc", "A" * 10, "x" * 31, "room%00", "r%C3%A9sum%C3%A9", "...."])
@pytest.mark.parametrize("suffix", ["", "/ring/1", "/dialout/1", "/notification-state", "/download"])
def test_odd_tokens_answer_an_ocs_404(room, token, suffix):
    client, _ = in_call(room, owner=True)
    client.raise_request_exception = False
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = client.generic(method, call_url(token, suffix))
        assert response.status_code == 404, (method, token, suffix, response.content)
        assert response.json()["ocs"]["data"] == []


def test_a_join_reads_the_room_type_under_the_lock(db):
    """A one-to-one room turned former one-to-one (its other user was deleted) while a
    join waited for the lock has no calls: 400 "type", and no call starts."""
    from talk_calls.constants import RoomType
    from talk_calls.exceptions import BadRequest

    room = RoomFactory(one_to_one=True)
    client, attendee = in_room(room, owner=True)
    participant = participant_of(client, room, attendee)
    Room.objects.filter(pk=room.pk).update(type=RoomType.FORMER_ONE_TO_ONE)
    with pytest.raises(BadRequest) as raised:
        calls.join_call(participant)
    assert raised.value.data == {"error": "type"}
    assert Room.objects.get(pk=room.pk).active_since is None
