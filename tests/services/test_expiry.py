"""Staleness (CONTRACT section 4): the fresh in-call query and ``talk_calls_expire_sessions``."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from talk_calls.constants import SYSTEM_ACTOR_ID, CallEventKind
from talk_calls.models import Attendee, CallEvent, Room, Session
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory

pytestmark = pytest.mark.django_db


def expire():
    out = StringIO()
    call_command("talk_calls_expire_sessions", stdout=out)
    return out.getvalue()


def test_fresh_in_call_counts_only_recent_pings_of_sessions_in_the_call(room):
    fresh = SessionFactory(attendee__room=room, joined=True)
    SessionFactory(attendee__room=room, joined=True, not_fresh=True)
    SessionFactory(attendee__room=room)  # in the room, not in the call
    SessionFactory(joined=True)  # another room
    assert list(Session.objects.fresh_in_call(room)) == [fresh]


def test_ping_timeout_comes_from_the_settings(room, settings):
    session = SessionFactory(attendee__room=room, joined=True, last_ping=timezone.now() - timedelta(seconds=20))
    assert list(Session.objects.fresh_in_call(room)) == [session]
    settings.TALK_CALLS = {"SESSION_PING_TIMEOUT": 10}
    assert not Session.objects.fresh_in_call(room).exists()


def test_expire_removes_stale_sessions_through_the_leave_path():
    room = RoomFactory(with_call=True)
    stale = SessionFactory(attendee__room=room, joined=True, stale=True)
    output = expire()
    assert output.strip() == "Removed 1 stale session(s)."
    assert not Session.objects.filter(pk=stale.pk).exists()
    assert Attendee.objects.filter(pk=stale.attendee_id).exists()
    left = CallEvent.objects.get(room=room, kind=CallEventKind.CALL_LEFT)
    assert left.actor_id == stale.attendee.actor_id
    ended = CallEvent.objects.get(room=room, kind=CallEventKind.CALL_ENDED)
    assert ended.actor_id == SYSTEM_ACTOR_ID
    assert Room.objects.get(pk=room.pk).active_since is None


def test_expire_keeps_fresh_and_merely_not_fresh_sessions_and_their_call():
    room = RoomFactory(with_call=True)
    fresh = SessionFactory(attendee__room=room, joined=True)
    not_fresh = SessionFactory(attendee__room=room, joined=True, not_fresh=True)
    stale = SessionFactory(attendee__room=room, joined=True, stale=True)
    assert "Removed 1 " in expire()
    assert set(Session.objects.values_list("pk", flat=True)) == {fresh.pk, not_fresh.pk}
    assert not Session.objects.filter(pk=stale.pk).exists()
    assert Room.objects.get(pk=room.pk).active_since is not None
    assert not CallEvent.objects.filter(kind=CallEventKind.CALL_ENDED).exists()


def test_expire_removes_self_joined_users_and_nameless_guests_left_without_sessions(public_room):
    self_joined = SessionFactory(attendee__room=public_room, attendee__self_joined=True, stale=True)
    nameless = SessionFactory(attendee=AttendeeFactory(room=public_room, guest=True), stale=True)
    named = SessionFactory(attendee=AttendeeFactory(room=public_room, guest=True, display_name="Ann"), stale=True)
    invited = SessionFactory(attendee__room=public_room, stale=True)
    assert "Removed 4 " in expire()
    assert not Session.objects.exists()
    remaining = set(Attendee.objects.filter(room=public_room).values_list("pk", flat=True))
    assert remaining == {named.attendee_id, invited.attendee_id}
    assert self_joined.attendee_id not in remaining and nameless.attendee_id not in remaining


def test_kill_timeout_comes_from_the_settings(room, settings):
    session = SessionFactory(attendee__room=room, last_ping=timezone.now() - timedelta(seconds=60))
    assert "Removed 0 " in expire()
    settings.TALK_CALLS = {"SESSION_PING_TIMEOUT": 10, "SESSION_KILL_TIMEOUT": 50}
    assert "Removed 1 " in expire()
    assert not Session.objects.filter(pk=session.pk).exists()


def test_expire_closes_a_call_nobody_fresh_is_in():
    room = RoomFactory(with_call=True)
    SessionFactory(attendee__room=room, joined=True, not_fresh=True)
    assert "Removed 0 " in expire()
    assert Room.objects.get(pk=room.pk).active_since is None
    assert CallEvent.objects.get(room=room, kind=CallEventKind.CALL_ENDED).actor_id == SYSTEM_ACTOR_ID
