"""The room pages of the admin: what an operator sees, and the actions that go through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from talk_calls.constants import CallEventKind, InCallFlag, ParticipantType, Permission
from talk_calls.models import Attendee, CallEvent, Room, Session
from tests.factories import AttendeeFactory, CallEventFactory, RoomFactory, SessionFactory, UserFactory
from tests.helpers import call_url, ocs_data

pytestmark = pytest.mark.django_db


def room_page(room):
    return reverse("admin:talk_calls_room_change", args=[room.pk])


def sessions_table(page):
    """Return the "live sessions" inline of a room page."""
    return page[page.index('id="sessions-group"') : page.index('id="call-history"')]


@pytest.fixture
def call(client_for, room):
    """Alice (owner) with audio and Bob (user) with audio and video, in a call started through the API."""
    alice = AttendeeFactory(room=room, owner=True, display_name="Alice Owner")
    bob = AttendeeFactory(room=room, display_name="Bob User")
    clients = {"alice": client_for(alice.user), "bob": client_for(bob.user)}
    for client in clients.values():
        assert client.join_room(room.token).status_code == 200
    flags = InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
    assert clients["alice"].ocs("POST", call_url(room.token), {"flags": int(flags)}).status_code == 200
    assert clients["bob"].ocs("POST", call_url(room.token), {"flags": 7}).status_code == 200
    return clients


def test_room_page_shows_live_participants_with_decoded_flags_and_history(admin_client, room, call):
    page = admin_client.get(room_page(room)).content.decode()
    sessions = sessions_table(page)
    assert "Alice Owner" in sessions and "Bob User" in sessions
    assert sessions.count('title="in call"') == 2
    assert sessions.count('title="audio"') == 2
    assert sessions.count('title="video"') == 1
    assert "start call, join call, ignore lobby, audio, video, screen, chat (moderator)" in page
    assert "start call, join call, audio, video, screen, chat (instance default)" in page
    # Call history, newest first: Bob joined after Alice started.
    history = page[page.index('id="call-history"') :]
    assert history.index("Call Joined") < history.index("Call Started")


def test_room_page_marks_stale_and_not_fresh_sessions(admin_client, room):
    SessionFactory(attendee=AttendeeFactory(room=room), stale=True, joined=True)
    SessionFactory(attendee=AttendeeFactory(room=room), not_fresh=True, joined=True)
    page = admin_client.get(room_page(room)).content.decode()
    assert "stale: expire to remove" in page
    assert "not fresh: not counted in the call" in page


def test_custom_permissions_are_decoded(admin_client, room):
    AttendeeFactory(room=room, permissions=int(Permission.CUSTOM | Permission.CHAT | Permission.CALL_JOIN))
    page = admin_client.get(room_page(room)).content.decode()
    assert "join call, chat (custom)" in page


def test_room_page_is_read_only(admin_client, room, call):
    page = admin_client.get(room_page(room)).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(room_page(room), {"name": "renamed"}).status_code == 403
    assert Room.objects.get(pk=room.pk).name == room.name


def test_end_call_for_everyone_from_room_page(admin_client, room, call):
    url = reverse("admin:talk_calls_room_end_call", args=[room.pk])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url, follow=True)
    assert f"Ended the call in {room.token} for everyone." in response.content.decode()
    sessions = sessions_table(response.content.decode())
    assert 'title="in call"' not in sessions and sessions.count("not in call") == 2
    assert ocs_data(call["alice"].get(call_url(room.token))) == []
    ended = CallEvent.objects.filter(room=room).first()
    assert ended.kind == CallEventKind.CALL_ENDED_EVERYONE
    assert not Room.objects.get(pk=room.pk).has_call


def test_changelist_action_ends_calls(admin_client, room, call):
    quiet = RoomFactory()
    response = admin_client.post(
        reverse("admin:talk_calls_room_changelist"),
        {"action": "end_calls_action", "_selected_action": [room.pk, quiet.pk]},
        follow=True,
    )
    assert "Ended 1 call(s) for everyone." in response.content.decode()
    assert ocs_data(call["bob"].get(call_url(room.token))) == []


def test_expire_stale_sessions_from_room_page(admin_client, room):
    stale = SessionFactory(attendee=AttendeeFactory(room=room), stale=True)
    fresh = SessionFactory(attendee=AttendeeFactory(room=room))
    response = admin_client.post(reverse("admin:talk_calls_room_expire", args=[room.pk]), follow=True)
    assert f"Removed 1 stale session(s) of {room.token}." in response.content.decode()
    assert list(Session.objects.filter(room=room)) == [fresh]
    assert not Session.objects.filter(pk=stale.pk).exists()


def test_promote_demote_and_remove_attendee_from_room_page(admin_client, room, call):
    bob = Attendee.objects.get(room=room, display_name="Bob User")

    def operate(operation):
        url = reverse("admin:talk_calls_room_attendee", args=[room.pk, bob.pk, operation])
        return admin_client.post(url, follow=True).content.decode()

    assert "Bob User is now a moderator." in operate("promote")
    assert Attendee.objects.get(pk=bob.pk).participant_type == ParticipantType.MODERATOR
    assert "Cannot promote Bob User." in operate("promote")
    assert "Bob User is no longer a moderator." in operate("demote")
    assert Attendee.objects.get(pk=bob.pk).participant_type == ParticipantType.USER
    page = operate("remove")
    assert "Bob User was removed from the room." in page
    attendees = page[page.index('id="attendees-group"') : page.index('id="sessions-group"')]
    assert "Alice Owner" in attendees and "Bob User" not in attendees
    peers = ocs_data(call["alice"].get(call_url(room.token)))
    assert [p["displayName"] for p in peers] == ["Alice Owner"]
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_LEFT, actor_id=bob.actor_id).exists()


def test_actions_need_the_change_permission(client, room, call):
    viewer = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission as AuthPermission

    viewer.user_permissions.add(AuthPermission.objects.get(codename="view_room"))
    client.force_login(viewer)
    page = client.get(room_page(room)).content.decode()
    assert "End call for everyone" not in page
    response = client.post(reverse("admin:talk_calls_room_end_call", args=[room.pk]))
    assert response.status_code == 403
    assert Room.objects.get(pk=room.pk).has_call


def test_room_changelist_columns_filters_and_search(admin_client, room, call):
    other = RoomFactory(name="Quiet room")
    AttendeeFactory(room=other, actor_id="zed", user=None, display_name="Zed")
    changelist = reverse("admin:talk_calls_room_changelist")
    page = admin_client.get(changelist).content.decode()
    row = page[page.index(f">{room.token}<") :]
    row = row[: row.index("</tr>")]
    assert 'class="talk-live"' in row  # call running, with its start time
    assert '<td class="field-live_in_call">2</td>' in row
    running = admin_client.get(changelist, {"call": "yes"}).content.decode()
    assert room.token in running and other.token not in running
    found = admin_client.get(changelist, {"q": "zed"}).content.decode()
    assert other.token in found and room.token not in found


def test_live_calls_view_lists_running_calls_and_reloads(admin_client, room, call):
    quiet = RoomFactory()
    ghost = RoomFactory(with_call=True, active_since=timezone.now() - timedelta(minutes=5))
    SessionFactory(attendee=AttendeeFactory(room=ghost, display_name="Gone Guy"), not_fresh=True, joined=True)
    page = admin_client.get(reverse("admin:talk_calls_room_live")).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page
    assert f'id="call-{room.token}"' in page and f'id="call-{ghost.token}"' in page
    assert f'id="call-{quiet.token}"' not in page
    section = page[page.index(f'id="call-{room.token}"') :]
    assert "Alice Owner" in section and "Bob User" in section
    assert "Gone Guy" not in page  # not fresh: not a live participant
    assert "2 running calls" in page


def test_rooms_with_a_running_call_come_first(admin_client, room, call):
    quiet = RoomFactory(token="aaaaquiet")
    page = admin_client.get(reverse("admin:talk_calls_room_changelist")).content.decode()
    assert page.index(f">{room.token}<") < page.index(f">{quiet.token}<")


def test_attendee_list_actions_go_through_the_services(admin_client, room, call):
    bob = Attendee.objects.get(room=room, display_name="Bob User")
    alice = Attendee.objects.get(room=room, display_name="Alice Owner")
    changelist = reverse("admin:talk_calls_attendee_changelist")
    page = admin_client.get(changelist, {"participant_type__exact": ParticipantType.OWNER}).content.decode()
    assert "Alice Owner" in page and "Bob User" not in page
    response = admin_client.post(
        changelist, {"action": "promote_action", "_selected_action": [alice.pk, bob.pk]}, follow=True
    )
    page = response.content.decode()
    assert "Promoted: 1." in page and "Skipped 1: not possible for their participant type." in page
    assert Attendee.objects.get(pk=bob.pk).participant_type == ParticipantType.MODERATOR
    admin_client.post(changelist, {"action": "remove_action", "_selected_action": [bob.pk]})
    assert [p["displayName"] for p in ocs_data(call["alice"].get(call_url(room.token)))] == ["Alice Owner"]


def test_session_list_filters_and_remove_action(admin_client, room, call):
    stale = SessionFactory(attendee=AttendeeFactory(room=room, display_name="Stale Sam"), stale=True, joined=True)
    changelist = reverse("admin:talk_calls_session_changelist")
    page = admin_client.get(changelist, {"ping": "stale"}).content.decode()
    assert "Stale Sam" in page and "Alice Owner" not in page
    page = admin_client.get(changelist, {"in_call": "yes"}).content.decode()
    assert "Alice Owner" in page and "Bob User" in page and "Stale Sam" not in page
    bob_session = Session.objects.get(attendee__display_name="Bob User")
    response = admin_client.post(
        changelist, {"action": "remove_action", "_selected_action": [bob_session.pk]}, follow=True
    )
    assert "Removed 1 session(s)." in response.content.decode()
    assert [p["displayName"] for p in ocs_data(call["alice"].get(call_url(room.token)))] == ["Alice Owner"]
    assert Session.objects.filter(pk=stale.pk).exists()


def test_history_notification_and_consent_lists_are_read_only(admin_client, room, call):
    for name in ("callevent", "callnotification", "recordingconsent", "attendee", "session", "room"):
        changelist = admin_client.get(reverse(f"admin:talk_calls_{name}_changelist")).content.decode()
        assert reverse(f"admin:talk_calls_{name}_add") not in changelist, name
    event = CallEvent.objects.filter(room=room).first()
    url = reverse("admin:talk_calls_callevent_change", args=[event.pk])
    assert admin_client.post(url, {"kind": "call_ended"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:talk_calls_callevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    history = admin_client.get(reverse("admin:talk_calls_callevent_changelist"), {"kind__exact": "call_joined"})
    assert "Bob User" in history.content.decode() and "Alice Owner" not in history.content.decode()


def test_live_calls_view_needs_the_view_permission(client, room, call):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:talk_calls_room_live")).status_code == 403


def test_room_page_links_the_whole_history_of_that_room_only(admin_client, room, call):
    other = RoomFactory()
    CallEventFactory(room=other, actor_id="elsewhere", actor_display_name="Elsewhere Ed")
    page = admin_client.get(room_page(room)).content.decode()
    history_url = reverse("admin:talk_calls_callevent_changelist") + f"?room__id__exact={room.pk}"
    assert f'href="{history_url}"' in page
    history = admin_client.get(history_url).content.decode()
    assert "Bob User" in history and "Elsewhere Ed" not in history
