"""Guests: the cap per room, reads that clean nothing, and the one periodic command (issue 11)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.models import Session as DjangoSession
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from talk_calls.constants import ActorType
from talk_calls.models import Attendee, Session

from ..factories import AttendeeFactory, SessionFactory
from ..helpers import OCSClient, ocs_data, room_url

pytestmark = pytest.mark.django_db


@override_settings(TALK_CALLS={"MAX_GUESTS_PER_ROOM": 3})
def test_guests_per_room_are_capped(public_room):
    guests = [OCSClient() for _ in range(3)]
    for guest in guests:
        assert guest.join_room(public_room.token).status_code == 200
    response = OCSClient().join_room(public_room.token)
    assert response.status_code == 403
    assert ocs_data(response)["error"] == "guests"
    assert Session.objects.filter(room=public_room).count() == 3
    # A guest who rejoins replaces its own session: still allowed.
    assert guests[0].join_room(public_room.token).status_code == 200
    # Users are not guests.
    attendee = AttendeeFactory(room=public_room)
    assert OCSClient(attendee.user, basic=False).join_room(public_room.token).status_code == 200
    # A guest that leaves frees its place.
    guests[1].ocs("DELETE", room_url(public_room.token, "/participants/active"))
    assert OCSClient().join_room(public_room.token).status_code == 200


@override_settings(TALK_CALLS={"MAX_GUESTS_PER_ROOM": 2})
def test_stale_guest_sessions_do_not_count_against_the_cap(public_room):
    for _ in range(2):
        SessionFactory(attendee=AttendeeFactory(room=public_room, guest=True), stale=True)
    assert OCSClient().join_room(public_room.token).status_code == 200


def test_the_participant_list_read_writes_nothing(public_room):
    owner = AttendeeFactory(room=public_room, owner=True)
    for _ in range(5):
        SessionFactory(attendee=AttendeeFactory(room=public_room, guest=True), stale=True)
    client = OCSClient(owner.user, basic=False)
    before = (Session.objects.count(), Attendee.objects.count())
    response = client.get(room_url(public_room.token, "/participants"))
    assert response.status_code == 200
    assert [e["actorType"] for e in ocs_data(response)] == [ActorType.USERS]
    assert (Session.objects.count(), Attendee.objects.count()) == before


def test_the_periodic_command_removes_stale_guests_and_expired_django_sessions(public_room):
    for _ in range(3):
        assert OCSClient().join_room(public_room.token).status_code == 200
    assert DjangoSession.objects.count() == 3
    past = timezone.now() - timedelta(days=1)
    Session.objects.update(last_ping=past)
    DjangoSession.objects.update(expire_date=past)
    out = StringIO()
    call_command("talk_calls_cleanup", stdout=out)
    assert "Removed 3 stale session(s)" in out.getvalue()
    assert not Session.objects.exists()
    assert not Attendee.objects.filter(actor_type=ActorType.GUESTS).exists()
    assert not DjangoSession.objects.exists()


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies")
def test_the_periodic_command_runs_with_a_cookie_session_engine():
    out = StringIO()
    call_command("talk_calls_cleanup", stdout=out)
    assert "Removed 0 stale session(s)" in out.getvalue()
