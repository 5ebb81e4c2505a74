"""The call signals a host receives: sent after commit, never for a failed request."""

import pytest

from talk_calls import signals
from talk_calls.constants import CallEventKind, InCallFlag
from tests.factories import AttendeeFactory
from tests.helpers import call_url, in_call, in_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Collect (signal name, kwargs) of every call signal, in order."""
    log = []
    names = [
        "call_started",
        "call_ended",
        "participant_joined_call",
        "participant_left_call",
        "participant_flags_changed",
        "participant_rung",
    ]
    receivers = []
    for name in names:

        def receiver(sender, name=name, **kwargs):
            log.append((name, kwargs))

        getattr(signals, name).connect(receiver, weak=False)
        receivers.append((name, receiver))
    yield log
    for name, receiver in receivers:
        getattr(signals, name).disconnect(receiver)


def names(log):
    return [name for name, _ in log]


def test_signals_of_a_whole_call_are_sent_after_commit(room, received, django_capture_on_commit_callbacks):
    bob_attendee = AttendeeFactory(room=room)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client, alice = in_call(room, moderator=True)
    assert names(received) == ["call_started", "participant_joined_call"]
    assert received[0][1]["attendee"] == alice
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)})
        alice_client.ocs("POST", call_url(room.token, f"/ring/{bob_attendee.pk}"))
    assert names(received)[2:] == ["participant_flags_changed", "participant_rung"]
    assert received[2][1]["old_flags"] == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO
    assert received[3][1]["attendee"] == bob_attendee
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.ocs("DELETE", call_url(room.token))
    assert names(received)[4:] == ["participant_left_call", "call_ended"]
    assert received[5][1]["end_for_all"] is False


def test_end_for_everyone_signal(room, received, django_capture_on_commit_callbacks):
    moderator_client, _ = in_call(room, moderator=True)
    in_call(room)
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.ocs("DELETE", call_url(room.token), {"all": True})
    assert names(received) == ["call_ended"]
    assert received[0][1]["end_for_all"] is True
    assert received[0][1]["event"].kind == CallEventKind.CALL_ENDED_EVERYONE


def test_no_signal_when_the_request_fails(room, received, django_capture_on_commit_callbacks):
    client, _ = in_room(room, permissions=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.ocs("POST", call_url(room.token)).status_code == 403
    assert received == [] and callbacks == []
