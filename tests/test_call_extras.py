"""CSV download, the max-duration command, dial-out backends and the signals (reference 3.6, 3.12)."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from talk_calls import signals
from talk_calls.constants import SYSTEM_ACTOR_ID, CallEventKind, InCallFlag
from talk_calls.models import Attendee, CallEvent, Room, Session
from talk_calls.sip import BaseDialOutBackend, DialOutError

from .call_helpers import in_call, in_room
from .factories import AttendeeFactory, PhoneAttendeeFactory, UserFactory
from .ocs import call_url, ocs_data

pytestmark = pytest.mark.django_db


# --- CSV ---------------------------------------------------------------------------------


def download(client, room, **params):
    return client.get(call_url(room.token, "/download"), {"format": "csv", **params})


def test_csv_lists_who_joined_the_call_with_the_users_email(room):
    Room.objects.filter(pk=room.pk).update(name="Team: weekly/sync")
    client, owner = in_call(room, owner=True)
    _, bob = in_call(room)
    AttendeeFactory(room=room)  # never joined
    response = download(client, room)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"Team-weekly-sync {timezone.localdate():%Y-%m-%d}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["name", "email", "type", "identifier"]
    assert sorted(rows[1:]) == sorted(
        [
            [owner.display_name, owner.user.email, "users", owner.actor_id],
            [bob.display_name, bob.user.email, "users", bob.actor_id],
        ]
    )


@pytest.mark.parametrize("evil", ['=HYPERLINK("x")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_cannot_start_a_formula(room, evil):
    user = UserFactory(email="a@example.com")
    client, _ = in_call(room, owner=True, user=user, display_name=evil)
    rows = list(csv.reader(io.StringIO(download(client, room).content.decode())))
    assert rows[1][0] == "'" + evil


def test_csv_400_without_a_call_or_with_another_format(room):
    client, _ = in_room(room, owner=True)
    response = download(client, room)
    assert response.status_code == 400
    assert response.json()["ocs"] == {"meta": {"status": "failure", "statuscode": 400, "message": ""}, "data": []}
    in_call(room)
    response = download(client, room, format="pdf")
    assert response.status_code == 400
    assert response.json()["ocs"]["data"] == []
    assert download(client, room).status_code == 200


# --- max call duration -------------------------------------------------------------------


def test_command_ends_calls_older_than_the_max_duration_for_everyone(room, settings):
    settings.TALK_CALLS = {"MAX_CALL_DURATION": 3600}
    in_call(room)
    in_call(room)
    young_room = Room.objects.create(token="youngcall1", name="young")
    in_call(young_room)
    Room.objects.filter(pk=room.pk).update(active_since=timezone.now() - timedelta(seconds=3601))
    out = io.StringIO()
    call_command("talk_calls_end_expired_calls", stdout=out)
    assert "Ended 1 call" in out.getvalue()
    assert Room.objects.get(pk=room.pk).active_since is None
    assert not Session.objects.filter(room=room).exclude(in_call=InCallFlag.DISCONNECTED).exists()
    ended = CallEvent.objects.filter(room=room).order_by("id").last()
    assert (ended.kind, ended.actor_id) == (CallEventKind.CALL_ENDED_EVERYONE, SYSTEM_ACTOR_ID)
    assert Room.objects.get(pk=young_room.pk).active_since is not None


def test_command_does_nothing_while_unlimited(room):
    in_call(room)
    Room.objects.filter(pk=room.pk).update(active_since=timezone.now() - timedelta(days=3))
    call_command("talk_calls_end_expired_calls", stdout=io.StringIO())
    assert Room.objects.get(pk=room.pk).active_since is not None


# --- dial-out backends -------------------------------------------------------------------


class FakeSIPBridgeRefusing(BaseDialOutBackend):
    """A fake SIP bridge that refuses every call, as a busy bridge would."""

    def dial_out(self, request):
        raise DialOutError("busy", "The bridge has no free line")


class FakeSIPBridgeRecording(BaseDialOutBackend):
    """A fake SIP bridge that records what it was asked and answers a fixed call id."""

    requests: list = []

    def dial_out(self, request):
        type(self).requests.append(request)
        return "bridge-call-1"


@override_settings(TALK_CALLS={"SIP_DIALOUT_BACKEND": f"{__name__}.FakeSIPBridgeRefusing"})
def test_dialout_backend_error_is_501_with_error_and_message(room):
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    response = client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}"))
    assert response.status_code == 501
    assert ocs_data(response) == {"error": "busy", "message": "The bridge has no free line"}


@override_settings(TALK_CALLS={"SIP_DIALOUT_BACKEND": f"{__name__}.FakeSIPBridgeRecording"})
def test_dialout_passes_the_number_and_stores_the_bridge_call_id(room):
    client, owner = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    assert client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}")).status_code == 200
    request = FakeSIPBridgeRecording.requests[-1]
    assert (request.phone_number, request.room_token, request.caller_actor_id) == (
        phone.phone_number,
        room.token,
        owner.actor_id,
    )
    assert Attendee.objects.get(pk=phone.pk).call_id == "bridge-call-1"


def test_console_backend_logs_the_request(room, caplog, settings):
    settings.TALK_CALLS = {"SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend"}
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    with caplog.at_level("INFO", logger="talk_calls.sip"):
        client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}"))
    call_id = Attendee.objects.get(pk=phone.pk).call_id
    assert phone.phone_number in caplog.text and call_id in caplog.text


# --- signals -----------------------------------------------------------------------------


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


class FakeSIPBridgeWatchingTransactions(BaseDialOutBackend):
    """A fake SIP bridge that notes whether it was called inside a database transaction."""

    inside_transaction: list = []

    def dial_out(self, request):
        from django.db import connection

        type(self).inside_transaction.append(connection.in_atomic_block)
        return "bridge-call-2"


@pytest.mark.django_db(transaction=True)
@override_settings(TALK_CALLS={"SIP_DIALOUT_BACKEND": f"{__name__}.FakeSIPBridgeWatchingTransactions"})
def test_the_bridge_is_called_outside_any_transaction_so_it_never_holds_the_room_lock():
    from .factories import RoomFactory

    room = RoomFactory()
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    assert client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}")).status_code == 200
    assert FakeSIPBridgeWatchingTransactions.inside_transaction == [False]
