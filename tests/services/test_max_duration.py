"""The max-duration command ends old calls for everyone (``talk_calls_end_expired_calls``)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from talk_calls.constants import SYSTEM_ACTOR_ID, CallEventKind, InCallFlag
from talk_calls.models import CallEvent, Room, Session
from tests.helpers import in_call

pytestmark = pytest.mark.django_db


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
