"""Ringing: CallNotification rows on call start and on ring, and notification-state (reference 3.5, 3.8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from talk_calls.constants import LobbyState, Permission
from talk_calls.models import Attendee, CallNotification, Room, Session
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory
from tests.helpers import call_url, guest_in_room, in_call, in_room, user_client

pytestmark = pytest.mark.django_db


def rung(room):
    """Return the actor ids with a pending notification in ``room``."""
    return set(
        CallNotification.objects.filter(room=room, processed_at__isnull=True).values_list(
            "attendee__actor_id", flat=True
        )
    )


def test_call_start_rings_every_user_attendee_but_the_caller_and_those_in_call(public_room):
    room = public_room
    bob, carol = AttendeeFactory(room=room), AttendeeFactory(room=room)
    muted = AttendeeFactory(room=room, notification_calls=False)
    guest_in_room(room)
    _, alice = in_call(room)
    assert rung(room) == {bob.actor_id, carol.actor_id}
    notification = CallNotification.objects.get(attendee=bob)
    assert (notification.caller_actor_type, notification.caller_actor_id) == ("users", alice.actor_id)
    assert notification.user == bob.user
    assert muted.actor_id not in rung(room)


def test_silent_call_rings_nobody(room):
    AttendeeFactory(room=room)
    client, _ = in_room(room)
    client.ocs("POST", call_url(room.token), {"silent": True})
    assert rung(room) == set()


def test_silent_for_as_json_list(room):
    bob, carol, dave = (AttendeeFactory(room=room) for _ in range(3))
    client, _ = in_room(room)
    client.ocs("POST", call_url(room.token), {"silentFor": [bob.actor_id, carol.actor_id]})
    assert rung(room) == {dave.actor_id}


def test_silent_for_as_repeated_form_keys_like_ios(room):
    bob, carol, dave = (AttendeeFactory(room=room) for _ in range(3))
    client, _ = in_room(room)
    client.post(call_url(room.token), {"silentFor[]": [bob.actor_id, carol.actor_id]})
    assert rung(room) == {dave.actor_id}


def test_with_the_lobby_on_only_moderators_and_lobby_ignore_holders_are_rung(room):
    moderator = AttendeeFactory(room=room, moderator=True)
    ignorer = AttendeeFactory(room=room, permissions=int(Permission.CUSTOM | Permission.LOBBY_IGNORE))
    AttendeeFactory(room=room)
    Room.objects.filter(pk=room.pk).update(lobby_state=LobbyState.NON_MODERATORS)
    in_call(room, owner=True)
    assert rung(room) == {moderator.actor_id, ignorer.actor_id}


def test_joining_marks_ones_own_ringing_processed(room):
    bob = AttendeeFactory(room=room)
    in_call(room)
    assert bob.actor_id in rung(room)
    client = user_client(bob.user)
    client.join_room(room.token)
    client.ocs("POST", call_url(room.token))
    assert bob.actor_id not in rung(room)


def test_joining_a_running_call_rings_nobody_again(room):
    in_call(room)
    carol = AttendeeFactory(room=room)
    CallNotification.objects.all().delete()
    in_call(room)
    assert carol.actor_id not in rung(room)


def test_ring_replaces_the_pending_notification(room):
    bob = AttendeeFactory(room=room)
    client, _ = in_call(room, owner=True)
    assert rung(room) == {bob.actor_id}
    client.ocs("POST", call_url(room.token, f"/ring/{bob.pk}"))
    assert CallNotification.objects.filter(attendee=bob).count() == 2
    assert CallNotification.objects.filter(attendee=bob, processed_at__isnull=True).count() == 1


def test_ring_a_user_whose_only_session_is_stale_in_call(room):
    client, _ = in_call(room, owner=True)
    bob = AttendeeFactory(room=room)
    SessionFactory(attendee=bob, joined=True, not_fresh=True)
    assert client.ocs("POST", call_url(room.token, f"/ring/{bob.pk}")).status_code == 200


# --- notification-state ------------------------------------------------------------------


def state(user, room):
    return user_client(user).get(call_url(room.token, "/notification-state")).status_code


def test_state_200_while_the_call_rings(room):
    in_call(room)
    bob = AttendeeFactory(room=room)
    assert state(bob.user, room) == 200


def test_state_201_when_the_call_ended(room):
    client, _ = in_call(room)
    bob = AttendeeFactory(room=room)
    client.ocs("DELETE", call_url(room.token))
    assert state(bob.user, room) == 201


def test_state_404_when_the_user_joined(room):
    in_call(room)
    _, bob = in_call(room)
    Room.objects.filter(pk=room.pk).update(active_since=timezone.now() - timedelta(seconds=120))
    assert state(bob.user, room) == 404


def test_state_404_for_an_unknown_room(room, user):
    assert state(user, RoomFactory.build(token="nosuchroom")) == 404


def test_state_after_joining_and_leaving_404_then_200_after_a_minute(room):
    in_call(room)
    Room.objects.filter(pk=room.pk).update(active_since=timezone.now() - timedelta(seconds=10))
    client, bob = in_call(room)
    client.ocs("DELETE", call_url(room.token))
    assert state(bob.user, room) == 404
    earlier = timezone.now() - timedelta(seconds=120)
    Room.objects.filter(pk=room.pk).update(active_since=earlier)
    assert state(bob.user, room) == 200
    assert Attendee.objects.get(pk=bob.pk).last_joined_call > earlier
    assert not Session.objects.filter(attendee=bob).exclude(in_call=0).exists()
