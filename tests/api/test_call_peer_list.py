"""The peer list of GET /call is cached per process (``talk_calls.peerlist``): every change
of who is in the call, or of a name shown, shows in the very next GET, and the cache's
two allowances (``lastPing`` at most ``PEER_LIST_MAX_AGE`` old; the list read again when a
peer goes stale) hold."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from talk_calls.constants import InCallFlag, ParticipantType
from talk_calls.models import Session
from talk_calls.peerlist import PeerListCache, _Entry
from tests.helpers import call_url, guest_in_room, in_call, in_room, ocs_data, room_url

FLAGS = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO)


def peers(client, room):
    response = client.get(call_url(room.token))
    assert response.status_code == 200, response.content
    return {peer["actorId"]: peer for peer in ocs_data(response)}


@pytest.fixture
def call(room):
    """Alice (moderator) in the call, her list read once (so it is cached)."""
    alice_client, alice = in_call(room, flags=FLAGS, participant_type=ParticipantType.MODERATOR)
    assert set(peers(alice_client, room)) == {alice.actor_id}
    return alice_client, alice


def test_a_join_shows_in_the_next_get(room, call):
    alice_client, alice = call
    _, bob = in_call(room, flags=FLAGS)
    assert set(peers(alice_client, room)) == {alice.actor_id, bob.actor_id}


def test_a_leave_shows_in_the_next_get(room, call):
    alice_client, alice = call
    bob_client, bob = in_call(room, flags=FLAGS)
    assert bob.actor_id in peers(alice_client, room)
    assert bob_client.ocs("DELETE", call_url(room.token)).status_code == 200
    assert set(peers(alice_client, room)) == {alice.actor_id}


def test_leaving_the_room_shows_in_the_next_get(room, call):
    alice_client, alice = call
    bob_client, bob = in_call(room, flags=FLAGS)
    assert bob.actor_id in peers(alice_client, room)
    assert bob_client.ocs("DELETE", room_url(room.token, "/participants/active")).status_code == 200
    assert set(peers(alice_client, room)) == {alice.actor_id}


def test_removing_an_attendee_shows_in_the_next_get(room, call):
    alice_client, alice = call
    _, bob = in_call(room, flags=FLAGS)
    assert bob.actor_id in peers(alice_client, room)
    response = alice_client.ocs("DELETE", room_url(room.token, "/attendees"), {"attendeeId": bob.pk})
    assert response.status_code == 200, response.content
    assert set(peers(alice_client, room)) == {alice.actor_id}


def test_end_for_everyone_shows_in_the_next_get(room, call):
    alice_client, _ = call
    bob_client, bob = in_call(room, flags=FLAGS)
    assert bob.actor_id in peers(bob_client, room)
    assert alice_client.ocs("DELETE", call_url(room.token), {"all": True}).status_code == 200
    assert peers(bob_client, room) == {}


def test_a_guest_renaming_shows_in_the_next_get(public_room):
    alice_client, _ = in_call(public_room, flags=FLAGS, participant_type=ParticipantType.MODERATOR)
    guest_client, guest = guest_in_room(public_room)
    assert guest_client.ocs("POST", call_url(public_room.token), {"flags": FLAGS}).status_code == 200
    assert peers(alice_client, public_room)[guest.actor_id]["displayName"] == guest.display_name
    url = f"/ocs/v2.php/apps/spreed/api/v1/guest/{public_room.token}/name"
    assert guest_client.ocs("POST", url, {"displayName": "Renamed guest"}).status_code == 200
    assert peers(alice_client, public_room)[guest.actor_id]["displayName"] == "Renamed guest"


def test_a_peer_that_stops_pinging_leaves_the_list_at_the_timeout_not_later(room, call, settings):
    alice_client, alice = call
    _, bob = in_call(room, flags=FLAGS)
    Session.objects.filter(attendee=bob).update(last_ping=timezone.now() - timedelta(seconds=20))
    settings.TALK_CALLS = {"PEER_LIST_MAX_AGE": 60}
    assert bob.actor_id in peers(alice_client, room)  # read now, cached for up to a minute
    Session.objects.filter(attendee=alice).update(last_ping=timezone.now())
    settings.TALK_CALLS = {"PEER_LIST_MAX_AGE": 60, "SESSION_PING_TIMEOUT": 10}
    assert set(peers(alice_client, room)) == {alice.actor_id}


def test_last_ping_is_at_most_peer_list_max_age_old(room, call, settings):
    alice_client, _ = call
    bob_client, bob = in_call(room, flags=FLAGS)
    long_ago = timezone.now() - timedelta(seconds=10)
    Session.objects.filter(attendee=bob).update(last_ping=long_ago)
    settings.TALK_CALLS = {"PEER_LIST_MAX_AGE": 1}
    in_room(room)  # a change: the list is read again
    assert peers(alice_client, room)[bob.actor_id]["lastPing"] == int(long_ago.timestamp())
    assert bob_client.ocs("PUT", call_url(room.token), {"flags": FLAGS}).status_code == 200  # a ping
    assert peers(alice_client, room)[bob.actor_id]["lastPing"] == int(long_ago.timestamp())  # cached
    time.sleep(1.05)
    assert peers(alice_client, room)[bob.actor_id]["lastPing"] >= int(time.time()) - 2


def test_without_a_max_age_every_get_reads_the_list(room, call, settings):
    alice_client, _ = call
    bob_client, bob = in_call(room, flags=FLAGS)
    settings.TALK_CALLS = {"PEER_LIST_MAX_AGE": 0}
    Session.objects.filter(attendee=bob).update(last_ping=timezone.now() - timedelta(seconds=10))
    before = peers(alice_client, room)[bob.actor_id]["lastPing"]
    assert bob_client.ocs("PUT", call_url(room.token), {"flags": FLAGS}).status_code == 200
    assert peers(alice_client, room)[bob.actor_id]["lastPing"] > before


def test_the_cache_keeps_at_most_its_byte_budget():
    cache = PeerListCache(max_bytes=100)

    def entry(size):
        return _Entry(read_at=0.0, oldest_ping=0.0, for_moderators=b"x" * size, for_others=b"y" * size)

    cache.put(("a",), entry(20))
    cache.put(("b",), entry(20))
    assert cache.get(("a",)) is not None  # now the most recently used
    cache.put(("c",), entry(20))
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) is not None and cache.get(("c",)) is not None
    cache.put(("d",), entry(60))  # over the whole budget: not kept
    assert cache.get(("d",)) is None
