"""Each throttle of ``talk_calls.throttling``: 429 with Retry-After in the OCS envelope,
checked before any password hash; and the bound on concurrent hashes (issue 11)."""

import threading

import pytest
from django.test import override_settings

from talk_calls import throttling
from talk_calls.constants import InCallFlag
from talk_calls.exceptions import ThrottleExceeded
from talk_calls.models import Session

from ..factories import PASSWORD, AttendeeFactory, PhoneAttendeeFactory, RoomFactory, UserFactory
from ..hashers import CountingPasswordHasher
from ..helpers import OCSClient, basic_header, call_url, in_call, ocs_data, ocs_meta, room_url

pytestmark = pytest.mark.django_db


class HashCounter(CountingPasswordHasher):
    """Count every run of the hasher: checks, and the dummy hash of an unknown user name."""

    def encode(self, password, salt, iterations=None):
        type(self).calls += 1
        return super().encode(password, salt, iterations)

    def verify(self, password, encoded):
        type(self).calls += 1
        return super(CountingPasswordHasher, self).verify(password, encoded)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.HashCounter"]
    HashCounter.calls = 0
    return HashCounter


def assert_throttled(response):
    assert response.status_code == 429, response.content[:200]
    assert int(response["Retry-After"]) >= 1
    meta = ocs_meta(response)
    assert meta["status"] == "failure" and meta["statuscode"] == 429
    assert ocs_data(response) == []


def join(client, room, password):
    return client.ocs("POST", room_url(room.token, "/participants/active"), {"password": password})


@override_settings(TALK_CALLS={"THROTTLES": {"room_password_address": "3/300", "room_password_room": None}})
def test_room_password_guesses_per_address(counting_hasher):
    room = RoomFactory(public=True, room_password="right")
    guest = OCSClient()
    for _ in range(3):
        assert join(guest, room, "wrong").status_code == 403
    hashes = counting_hasher.calls
    assert_throttled(join(guest, room, "right"))
    assert counting_hasher.calls == hashes  # refused before the hasher ran
    assert not Session.objects.exists()
    # Another address is not affected.
    other = OCSClient(REMOTE_ADDR="10.0.0.2")
    assert join(other, room, "right").status_code == 200


@override_settings(TALK_CALLS={"THROTTLES": {"room_password_address": None, "room_password_room": "4/300"}})
def test_room_password_guesses_per_room_from_many_addresses():
    room = RoomFactory(public=True, room_password="right")
    other_room = RoomFactory(public=True, room_password="right")
    for n in range(4):
        assert join(OCSClient(REMOTE_ADDR=f"10.0.1.{n}"), room, "wrong").status_code == 403
    assert_throttled(join(OCSClient(REMOTE_ADDR="10.0.2.1"), room, "right"))
    assert join(OCSClient(REMOTE_ADDR="10.0.2.1"), other_room, "right").status_code == 200


@override_settings(TALK_CALLS={"THROTTLES": {"room_password_address": "2/300", "room_password_room": None}})
def test_ipv6_addresses_count_per_64():
    room = RoomFactory(public=True, room_password="right")
    for suffix in ("1", "2"):
        assert join(OCSClient(REMOTE_ADDR=f"2001:db8:1:2::{suffix}"), room, "wrong").status_code == 403
    assert_throttled(join(OCSClient(REMOTE_ADDR="2001:db8:1:2:ffff::9"), room, "right"))
    assert join(OCSClient(REMOTE_ADDR="2001:db8:1:3::1"), room, "right").status_code == 200


def basic(username, password, **extra):
    client = OCSClient(**extra)
    client.defaults["HTTP_AUTHORIZATION"] = basic_header(username, password)
    return client


CAPABILITIES = "/ocs/v2.php/cloud/capabilities"


@override_settings(TALK_CALLS={"THROTTLES": {"login_address": "3/300", "login_user": None}})
def test_failed_basic_logins_per_address(counting_hasher):
    user = UserFactory()
    start = counting_hasher.calls
    for n in range(3):
        assert basic(f"nobody{n}", "x").get(CAPABILITIES).status_code == 401
    assert counting_hasher.calls == start + 3  # unknown user names cost a (dummy) hash too: no timing oracle
    assert_throttled(basic(user.get_username(), PASSWORD).get(CAPABILITIES))
    assert counting_hasher.calls == start + 3
    assert basic(user.get_username(), PASSWORD, REMOTE_ADDR="10.9.9.9").get(CAPABILITIES).status_code == 200


@override_settings(TALK_CALLS={"THROTTLES": {"login_address": None, "login_user": "3/300"}})
def test_failed_basic_logins_per_user_name(counting_hasher):
    user = UserFactory()
    name = user.get_username()
    for n in range(3):
        assert (
            basic(name.upper() if n else name, "wrong", REMOTE_ADDR=f"10.1.0.{n}").get(CAPABILITIES).status_code == 401
        )
    calls = counting_hasher.calls
    assert_throttled(basic(name, PASSWORD, REMOTE_ADDR="10.2.0.1").get(CAPABILITIES))
    assert counting_hasher.calls == calls
    assert basic(UserFactory().get_username(), PASSWORD).get(CAPABILITIES).status_code == 200


@override_settings(TALK_CALLS={"THROTTLES": {"guest_join_address": "5/60"}})
def test_anonymous_joins_per_address(public_room):
    for _ in range(5):
        assert OCSClient().join_room(public_room.token).status_code == 200
    assert_throttled(OCSClient().join_room(public_room.token))
    assert Session.objects.count() == 5
    assert OCSClient(REMOTE_ADDR="10.3.0.1").join_room(public_room.token).status_code == 200
    # Users are not counted as anonymous joins.
    attendee = AttendeeFactory(room=public_room)
    assert OCSClient(attendee.user, basic=False).join_room(public_room.token).status_code == 200


DIALOUT = {"SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend"}


@override_settings(TALK_CALLS={**DIALOUT, "THROTTLES": {"dialout_attendee": "2/3600", "dialout_room": None}})
def test_dialouts_per_attendee(room):
    client, _ = in_call(room, owner=True)
    phones = [PhoneAttendeeFactory(room=room) for _ in range(3)]
    for phone in phones[:2]:
        assert client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}")).status_code == 200
    assert_throttled(client.ocs("POST", call_url(room.token, f"/dialout/{phones[2].pk}")))
    other, _ = in_call(room, moderator=True)
    assert other.ocs("POST", call_url(room.token, f"/dialout/{phones[2].pk}")).status_code == 200


@override_settings(TALK_CALLS={**DIALOUT, "THROTTLES": {"dialout_attendee": None, "dialout_room": "2/3600"}})
def test_dialouts_per_room(room):
    phones = [PhoneAttendeeFactory(room=room) for _ in range(3)]
    for phone in phones[:2]:
        client, _ = in_call(room, flags=InCallFlag.IN_CALL, moderator=True)
        assert client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}")).status_code == 200
    client, _ = in_call(room, flags=InCallFlag.IN_CALL, moderator=True)
    assert_throttled(client.ocs("POST", call_url(room.token, f"/dialout/{phones[2].pk}")))


def test_a_throttle_switched_off_never_answers_429():
    with override_settings(TALK_CALLS={"THROTTLES": {"login_user": None}}):
        for _ in range(50):
            throttling.hit("login_user", "x")
        throttling.check("login_user", "x")


@override_settings(TALK_CALLS={"PASSWORD_HASH_CONCURRENCY": 1, "PASSWORD_HASH_WAIT": 0})
def test_password_hashes_are_bounded_per_process():
    entered, release = threading.Event(), threading.Event()

    def hold():
        with throttling.password_hash_slot():
            entered.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(5)
        with pytest.raises(ThrottleExceeded):
            with throttling.password_hash_slot():
                pass
        # Over HTTP: a fresh Basic check that finds no slot answers 429, with no hash run.
        response = basic(UserFactory().get_username(), PASSWORD).get(CAPABILITIES)
        assert_throttled(response)
    finally:
        release.set()
        holder.join()
    with throttling.password_hash_slot():
        pass
