"""Dial-out cannot be repeated while it runs; phone numbers are masked for non-moderators (issue 11)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from talk_calls.constants import ActorType, DialOutState
from talk_calls.models import Attendee
from talk_calls.services.dialout import report_dialout_outcome
from talk_calls.sip import BaseDialOutBackend, DialOutError

from ..factories import PhoneAttendeeFactory, SessionFactory
from ..helpers import call_url as call
from ..helpers import in_call, in_room, ocs_data, room_url

pytestmark = pytest.mark.django_db

CONSOLE = {"SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend", "DIALOUT_TIMEOUT": 60}


class FailingBridge(BaseDialOutBackend):
    def dial_out(self, request):
        raise DialOutError("busy", "No line")


def dial(client, room, phone):
    return client.ocs("POST", call(room.token, f"/dialout/{phone.pk}"))


@override_settings(TALK_CALLS=CONSOLE)
def test_a_number_being_dialed_cannot_be_dialed_again_until_the_outcome(room):
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    assert dial(client, room, phone).status_code == 200
    row = Attendee.objects.get(pk=phone.pk)
    assert row.dialout_state == DialOutState.DIALING and row.call_id
    again = dial(client, room, phone)
    assert again.status_code == 400
    assert ocs_data(again)["error"] == "dialing"
    other, _ = in_call(room, moderator=True)
    assert dial(other, room, phone).status_code == 400
    # The backend reports the outcome: the number may be dialed again.
    assert report_dialout_outcome(row.call_id, DialOutState.REJECTED) is True
    assert Attendee.objects.get(pk=phone.pk).dialout_state == DialOutState.REJECTED
    assert report_dialout_outcome(row.call_id, DialOutState.ENDED) is False  # nothing running any more
    assert dial(client, room, phone).status_code == 200


@override_settings(TALK_CALLS=CONSOLE)
def test_a_dialout_without_outcome_times_out(room):
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    assert dial(client, room, phone).status_code == 200
    Attendee.objects.filter(pk=phone.pk).update(dialout_started_at=timezone.now() - timedelta(seconds=61))
    assert dial(client, room, phone).status_code == 200
    Attendee.objects.filter(pk=phone.pk).update(dialout_started_at=timezone.now() - timedelta(seconds=61))
    call_command("talk_calls_cleanup", stdout=StringIO())
    row = Attendee.objects.get(pk=phone.pk)
    assert (row.dialout_state, row.dialout_started_at) == (DialOutState.FAILED, None)


@override_settings(TALK_CALLS={"SIP_DIALOUT_BACKEND": f"{__name__}.FailingBridge"})
def test_a_failed_dialout_can_be_retried_at_once(room):
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    for _ in range(2):
        assert dial(client, room, phone).status_code == 501
    assert Attendee.objects.get(pk=phone.pk).dialout_state == DialOutState.FAILED


def test_report_refuses_a_state_that_is_no_outcome():
    with pytest.raises(ValueError):
        report_dialout_outcome("x", DialOutState.DIALING)


@pytest.mark.parametrize("sip", [False, True])
def test_phone_numbers_are_masked_for_everyone_but_moderators(room, sip):
    settings = CONSOLE if sip else {}
    with override_settings(TALK_CALLS=settings):
        phone = PhoneAttendeeFactory(room=room, display_name="+49 30 1234567", phone_number="+49 30 1234567")
        moderator, _ = in_room(room, owner=True)
        member, _ = in_room(room)

        def entry(client):
            entries = ocs_data(client.get(room_url(room.token, "/participants")))
            return next(e for e in entries if e["actorType"] == ActorType.PHONES)

        assert entry(member)["displayName"] == "+49 30 123…"
        assert entry(member)["phoneNumber"] == ""
        assert entry(moderator)["displayName"] == "+49 30 1234567"
        assert entry(moderator)["phoneNumber"] == ("+49 30 1234567" if sip else "")
        assert phone.pk == entry(member)["attendeeId"]


def test_a_phone_attendee_added_over_the_api_is_masked_for_members(room):
    moderator, _ = in_room(room, owner=True)
    member, _ = in_room(room)
    added = moderator.ocs(
        "POST", room_url(room.token, "/participants"), {"source": "phones", "newParticipant": "+1 555 0100"}
    )
    assert added.status_code == 200
    entries = ocs_data(member.get(room_url(room.token, "/participants")))
    assert [e["displayName"] for e in entries if e["actorType"] == ActorType.PHONES] == ["+1 555 …"]


def test_a_phone_attendee_in_the_call_is_masked_in_the_peers_for_members(room):
    moderator, _ = in_call(room, owner=True)
    member, _ = in_call(room)
    phone = PhoneAttendeeFactory(room=room, display_name="+1 555 0100", phone_number="+1 555 0100")
    SessionFactory(attendee=phone, joined=True)

    def phone_peer(client):
        peers = ocs_data(client.get(call(room.token)))
        return next(p["displayName"] for p in peers if p["actorType"] == ActorType.PHONES)

    assert phone_peer(member) == "+1 555 …"
    assert phone_peer(moderator) == "+1 555 0100"
