"""What an operator needs in the admin: devices, names, ending calls from "Live calls", a paged room
page and the call minutes report (issue 12)."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission as AuthPermission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from talk_calls.admin.report import parse_period
from talk_calls.constants import ActorType, CallEventKind, InCallFlag, ParticipantType
from talk_calls.models import Attendee, CallEvent, Session
from tests.factories import AttendeeFactory, CallEventFactory, RoomFactory, UserFactory, one_to_one_room
from tests.helpers import OCSClient, call_url

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def room_page(room, **params):
    return reverse("admin:talk_calls_room_change", args=[room.pk])


def test_join_records_user_agent_and_address_shown_on_the_room_page(admin_client, room, user):
    AttendeeFactory(room=room, user=user)
    client = OCSClient(user)
    assert client.join_room(room.token, **{}).status_code == 200
    client.post(
        reverse("talk_calls:participants-active", kwargs={"token": room.token}),
        HTTP_USER_AGENT=FIREFOX,
        REMOTE_ADDR="192.0.2.7",
    )
    session = Session.objects.get(attendee__user=user)
    assert (session.user_agent, session.client_address) == (FIREFOX, "192.0.2.7")
    page = admin_client.get(room_page(room)).content.decode()
    sessions = page[page.index('id="sessions-group"') :]
    assert "192.0.2.7" in sessions and "Firefox/128.0" in sessions, sessions[:3000]


def test_client_address_comes_from_the_trusted_proxy_header_only_when_configured(settings, room, user):
    AttendeeFactory(room=room, user=user)
    url = reverse("talk_calls:participants-active", kwargs={"token": room.token})
    forwarded = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.4"}
    OCSClient(user).post(url, **forwarded)
    assert Session.objects.get(attendee__user=user).client_address == "10.0.0.1"
    settings.TALK_CALLS = {"CLIENT_ADDRESS_HEADER": "HTTP_X_FORWARDED_FOR"}
    OCSClient(user).post(url, **forwarded)
    assert Session.objects.latest("id").client_address == "198.51.100.4"
    OCSClient(user).post(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not an address")
    assert Session.objects.latest("id").client_address == "10.0.0.1"


def test_client_address_header_setting_is_checked(settings):
    settings.TALK_CALLS = {"CLIENT_ADDRESS_HEADER": "X-Forwarded-For"}
    with pytest.raises(Exception, match="talk_calls.E010"):
        call_command("check", fail_level="ERROR")


def test_live_calls_name_guests_and_end_a_call_for_everyone(admin_client, client_for):
    room = RoomFactory(public=True, name="Open call")
    owner = AttendeeFactory(room=room, owner=True, display_name="Olga Owner")
    owner_client = client_for(owner.user)
    guest = OCSClient()
    for client in (owner_client, guest):
        assert client.join_room(room.token).status_code == 200
        assert client.ocs("POST", call_url(room.token), {"flags": 3}).status_code == 200
    guest_attendee = Attendee.objects.get(room=room, actor_type=ActorType.GUESTS)
    assert guest_attendee.display_name == ""

    live = admin_client.get(reverse("admin:talk_calls_room_live")).content.decode()
    assert f"Guest {guest_attendee.actor_id[:6]}" in live and "Olga Owner" in live
    assert f'id="end-{room.token}"' in live and "csrfmiddlewaretoken" in live

    end = reverse("admin:talk_calls_room_end_call", args=[room.pk])
    response = admin_client.post(end, {"next": "live"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:talk_calls_room_live")
    room.refresh_from_db()
    assert not room.has_call
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_ENDED_EVERYONE).count() == 1
    assert not Session.objects.filter(room=room, in_call__gt=InCallFlag.DISCONNECTED).exists()


def test_end_for_everyone_needs_the_change_permission(client, client_for):
    room = RoomFactory()
    starter = AttendeeFactory(room=room, owner=True)
    starter_client = client_for(starter.user)
    starter_client.join_room(room.token)
    starter_client.ocs("POST", call_url(room.token), {"flags": 3})
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(AuthPermission.objects.get(codename="view_room"))
    client.force_login(viewer)
    live = client.get(reverse("admin:talk_calls_room_live")).content.decode()
    assert room.token in live and f'id="end-{room.token}"' not in live
    assert client.post(reverse("admin:talk_calls_room_end_call", args=[room.pk]), {"next": "live"}).status_code == 403
    room.refresh_from_db()
    assert room.has_call


def test_call_started_by_names_the_person_and_rooms_their_token(admin_client, client_for):
    room = RoomFactory(name="Standup")
    alice = AttendeeFactory(room=room, owner=True, display_name="Alice Andersen")
    client = client_for(alice.user)
    client.join_room(room.token)
    client.ocs("POST", call_url(room.token), {"flags": 3})
    page = admin_client.get(room_page(room)).content.decode()
    assert f"Alice Andersen (users/{alice.actor_id})" in page
    assert str(alice) == f"users/{alice.actor_id} in {room.token}"


def test_one_to_one_rooms_show_their_two_users(admin_client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    room = one_to_one_room(alice, bob)
    listing = admin_client.get(reverse("admin:talk_calls_room_changelist")).content.decode()
    assert "alice &amp; bob" in listing and "[&quot;alice&quot;" not in listing
    assert str(room) == f"alice & bob ({room.token})"


def guests(room, count):
    Attendee.objects.bulk_create(
        Attendee(room=room, actor_type=ActorType.GUESTS, actor_id=f"{n:040x}", participant_type=ParticipantType.GUEST)
        for n in range(count)
    )


def test_room_page_lists_one_page_of_attendees_in_constant_queries(admin_client):
    small, big = RoomFactory(), RoomFactory()
    guests(small, 150)
    guests(big, 10_000)
    counts = []
    for room in (small, big):
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(room_page(room)).content.decode()
        counts.append(len(queries))
        assert page.count('class="form-row has_original') <= 100 + 100  # attendees + sessions inlines
        assert "page 1 of" in page
    assert counts[0] == counts[1]
    second = admin_client.get(room_page(big), {"attendees-page": 2}).content.decode()
    assert "page 2 of 100" in second and f"Guest {format(150, '040x')[:6]}" in second


def ended_call(room, *, minutes, day, people):
    """Record a call of ``minutes`` that ended on ``day`` with ``people`` (attendees) joining it."""
    ended_at = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=12)
    started_at = ended_at - timedelta(minutes=minutes)
    for index, attendee in enumerate(people):
        kind = CallEventKind.CALL_STARTED if index == 0 else CallEventKind.CALL_JOINED
        CallEventFactory(
            room=room,
            kind=kind,
            actor_type=attendee.actor_type,
            actor_id=attendee.actor_id,
            actor_display_name=attendee.display_name,
            call_started_at=started_at,
            created_at=started_at,
        )
    CallEventFactory(
        room=room,
        kind=CallEventKind.CALL_ENDED,
        call_started_at=started_at,
        created_at=ended_at,
        parameters={"duration": minutes * 60, "users": [], "guests": 0},
    )


@pytest.fixture
def history():
    today = timezone.localdate()
    standup, planning = RoomFactory(name="Standup"), RoomFactory(name="Planning")
    alice = AttendeeFactory(room=standup, display_name="Alice")
    bob = AttendeeFactory(room=standup, display_name="Bob")
    alice_planning = AttendeeFactory(room=planning, user=alice.user, display_name="Alice")
    ended_call(standup, minutes=30, day=today - timedelta(days=2), people=[alice, bob])
    ended_call(standup, minutes=15, day=today, people=[alice, bob])
    ended_call(planning, minutes=60, day=today, people=[alice_planning])
    # Bob left and rejoined the second call: counted once.
    second = CallEvent.objects.filter(room=standup, kind=CallEventKind.CALL_JOINED).latest("id")
    CallEventFactory(
        room=standup,
        kind=CallEventKind.CALL_JOINED,
        actor_type=bob.actor_type,
        actor_id=bob.actor_id,
        actor_display_name="Bob",
        call_started_at=second.call_started_at,
        created_at=second.created_at + timedelta(minutes=1),
    )
    return {"today": today, "standup": standup, "planning": planning, "alice": alice, "bob": bob}


def test_report_minutes_per_day_top_rooms_and_participants(admin_client, history):
    url = reverse("admin:talk_calls_callevent_report")
    response = admin_client.get(url, {"start": (history["today"] - timedelta(days=6)).isoformat()})
    assert response.status_code == 200
    context = response.context
    assert [day["minutes"] for day in context["days"]] == [0, 0, 0, 0, 30.0, 0, 75.0]
    assert (context["total_minutes"], context["total_calls"]) == (105.0, 3)
    assert [(r["label"], r["minutes"], r["calls"]) for r in context["rooms"]] == [
        ("Planning", 60.0, 1),
        ("Standup", 45.0, 2),
    ]
    assert [(p["label"], p["minutes"], p["calls"]) for p in context["participants"]] == [
        ("Alice", 105.0, 3),
        ("Bob", 45.0, 2),
    ]
    page = response.content.decode()
    assert page.count('class="talk-bar"') == 7
    assert 'data-minutes="75.0"' in page and 'data-minutes="30.0"' in page


def test_report_csv_export(admin_client, history):
    url = reverse("admin:talk_calls_callevent_report")
    response = admin_client.get(url, {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "key", "name", "minutes", "calls"]
    assert ["day", history["today"].isoformat(), "", "75.0", "2"] in rows
    assert ["room", history["planning"].token, "Planning", "60.0", "1"] in rows
    assert any(row[0] == "participant" and row[2] == "Alice" and row[3] == "105.0" for row in rows)
    assert sum(row[0] == "day" for row in rows) == 30


def test_report_costs_the_same_queries_for_few_and_many_calls(admin_client):
    room = RoomFactory()
    people = [AttendeeFactory(room=room) for _ in range(3)]
    url = reverse("admin:talk_calls_callevent_report")
    counts = []
    for calls in (2, 40):
        for _ in range(calls):
            ended_call(room, minutes=5, day=timezone.localdate(), people=people)
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_report_period_defaults_and_bad_dates():
    today = timezone.localdate()
    assert parse_period({}, today) == (today - timedelta(days=29), today)
    assert parse_period({"start": "nope", "end": "2026-02-30"}, today) == (today - timedelta(days=29), today)
    start, end = parse_period({"start": "2000-01-01", "end": today.isoformat()}, today)
    assert (end - start).days == 365


def test_report_needs_view_permission(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:talk_calls_callevent_report")).status_code == 403
