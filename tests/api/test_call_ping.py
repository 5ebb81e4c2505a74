"""The ping: ``PUT /call`` with the flags the session already has (issue 13).

It is one conditional UPDATE (``services.calls.ping_call``) that must answer exactly what
the full path answers. Each test below builds a state in which one check of the full
path fails, with the session still flagged in the call with the flags it sends, and
expects the full path's answer and no ``last_ping`` refresh.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from talk_calls import signals
from talk_calls.constants import InCallFlag, LobbyState, ParticipantType, Permission, ReadOnly, RoomType
from talk_calls.models import Attendee, Room, Session
from tests.factories import RoomFactory
from tests.helpers import call_url, guest_in_room, in_call, ocs_data

pytestmark = pytest.mark.django_db

FLAGS = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO)
LONG_AGO = timezone.now() - timedelta(seconds=20)


def pinged_long_ago(attendee):
    Session.objects.filter(attendee=attendee).update(last_ping=LONG_AGO)


def session_of(attendee):
    return Session.objects.get(attendee=attendee)


@pytest.fixture
def changes():
    """Collect the signals that announce a change of the call."""
    received = []

    def receiver(sender, signal, **kwargs):
        received.append(signal)

    watched = [signals.participant_flags_changed, signals.participants_changed]
    for signal in watched:
        signal.connect(receiver, weak=False)
    yield received
    for signal in watched:
        signal.disconnect(receiver)


def test_a_ping_refreshes_last_ping_and_sends_no_signal(room, changes, django_capture_on_commit_callbacks):
    client, attendee = in_call(room, flags=FLAGS)
    pinged_long_ago(attendee)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.ocs("PUT", call_url(room.token), {"flags": FLAGS})
    assert response.status_code == 200 and ocs_data(response) is None
    session = session_of(attendee)
    assert session.in_call == FLAGS and session.last_ping > LONG_AGO
    assert changes == []


def test_a_guest_pings_too(db, changes, django_capture_on_commit_callbacks):
    room = RoomFactory(public=True)
    client, attendee = guest_in_room(room)
    assert client.ocs("POST", call_url(room.token), {"flags": FLAGS}).status_code == 200
    pinged_long_ago(attendee)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.ocs("PUT", call_url(room.token), {"flags": FLAGS}).status_code == 200
    assert session_of(attendee).last_ping > LONG_AGO
    assert changes == []


def test_changed_flags_take_the_full_path_and_are_announced(room, changes, django_capture_on_commit_callbacks):
    client, attendee = in_call(room, flags=FLAGS)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)}).status_code == 200
    assert session_of(attendee).in_call == InCallFlag.IN_CALL
    assert changes == [signals.participant_flags_changed, signals.participants_changed]


@pytest.mark.parametrize("state", [{"read_only": ReadOnly.READ_ONLY}, {"type": RoomType.CHANGELOG}])
def test_a_read_only_room_answers_403(room, state):
    client, attendee = in_call(room, flags=FLAGS)
    pinged_long_ago(attendee)
    Room.objects.filter(pk=room.pk).update(**state)
    response = client.ocs("PUT", call_url(room.token), {"flags": FLAGS})
    assert response.status_code == 403 and ocs_data(response) == []
    assert session_of(attendee).last_ping == LONG_AGO


def test_a_lobby_holding_the_caller_answers_412(room):
    client, attendee = in_call(room, flags=FLAGS)
    pinged_long_ago(attendee)
    Room.objects.filter(pk=room.pk).update(lobby_state=LobbyState.NON_MODERATORS)
    response = client.ocs("PUT", call_url(room.token), {"flags": FLAGS})
    assert response.status_code == 412
    assert session_of(attendee).last_ping == LONG_AGO


def test_a_moderator_pings_through_the_lobby(room):
    client, attendee = in_call(room, flags=FLAGS, participant_type=ParticipantType.MODERATOR)
    pinged_long_ago(attendee)
    Room.objects.filter(pk=room.pk).update(lobby_state=LobbyState.NON_MODERATORS)
    assert client.ocs("PUT", call_url(room.token), {"flags": FLAGS}).status_code == 200
    assert session_of(attendee).last_ping > LONG_AGO


def test_an_expired_lobby_timer_lets_the_ping_through_on_the_full_path(room):
    client, attendee = in_call(room, flags=FLAGS)
    pinged_long_ago(attendee)
    Room.objects.filter(pk=room.pk).update(
        lobby_state=LobbyState.NON_MODERATORS, lobby_timer=timezone.now() - timedelta(minutes=1)
    )
    assert client.ocs("PUT", call_url(room.token), {"flags": FLAGS}).status_code == 200
    assert session_of(attendee).last_ping > LONG_AGO


@pytest.mark.parametrize(
    ("attendee_permissions", "room_permissions"),
    [
        (int(Permission.CUSTOM | Permission.PUBLISH_AUDIO), 0),
        (0, int(Permission.CUSTOM | Permission.PUBLISH_AUDIO)),
    ],
)
def test_permissions_taken_away_mask_the_flags_on_the_full_path(
    room, attendee_permissions, room_permissions, changes, django_capture_on_commit_callbacks
):
    client, attendee = in_call(room, flags=FLAGS)
    Attendee.objects.filter(pk=attendee.pk).update(permissions=attendee_permissions)
    Room.objects.filter(pk=room.pk).update(default_permissions=room_permissions)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.ocs("PUT", call_url(room.token), {"flags": FLAGS}).status_code == 200
    assert session_of(attendee).in_call == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
    assert changes == [signals.participant_flags_changed, signals.participants_changed]


def test_the_instance_default_permissions_apply_when_nothing_overrides_them(room, settings):
    client, attendee = in_call(room, flags=FLAGS)
    settings.TALK_CALLS = {"DEFAULT_PERMISSIONS": int(Permission.CUSTOM | Permission.PUBLISH_VIDEO)}
    assert client.ocs("PUT", call_url(room.token), {"flags": FLAGS}).status_code == 200
    assert session_of(attendee).in_call == InCallFlag.IN_CALL | InCallFlag.WITH_VIDEO


def test_a_session_out_of_the_call_answers_400(room):
    client, attendee = in_call(room, flags=FLAGS)
    Session.objects.filter(attendee=attendee).update(in_call=InCallFlag.DISCONNECTED)
    response = client.ocs("PUT", call_url(room.token), {"flags": FLAGS})
    assert response.status_code == 400 and ocs_data(response) is None
