"""Dial-out through the configured SIP backend (reference 3.6)."""

import pytest
from django.test import override_settings

from talk_calls.models import Attendee
from talk_calls.sip import BaseDialOutBackend, DialOutError
from tests.factories import PhoneAttendeeFactory
from tests.helpers import call_url, in_call, ocs_data

pytestmark = pytest.mark.django_db


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
    from tests.factories import RoomFactory

    room = RoomFactory()
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    assert client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}")).status_code == 200
    assert FakeSIPBridgeWatchingTransactions.inside_transaction == [False]
