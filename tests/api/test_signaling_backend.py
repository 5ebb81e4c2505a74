"""POST .../api/v3/signaling/backend: the signaling server's auth, room and ping requests
(talk-signaling.md section C3), signed with the shared secret (C2)."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from talk_calls.constants import InCallFlag, ParticipantType, Permission
from talk_calls.hpb.checksum import checksum
from talk_calls.models import Session
from talk_calls.signaling.tickets import make_ticket
from talk_calls.throttling import DEFAULT_RATES, parse_rate
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory, UserFactory

URL = "/ocs/v2.php/apps/spreed/api/v3/signaling/backend"
SECRET = "the-shared-secret-of-the-tests"
RANDOM = "r" * 64


@pytest.fixture(autouse=True)
def signaling_settings(settings):
    settings.TALK_CALLS = {
        "SIGNALING_SERVERS": [{"server": "http://127.0.0.1:9", "verify": False}],
        "SIGNALING_SECRET": SECRET,
    }
    cache.clear()
    yield
    cache.clear()


def post(message, *, secret=SECRET, random=RANDOM, address="127.0.0.7", sign=True, raw=None):
    body = raw if raw is not None else json.dumps(message).encode()
    headers = {"REMOTE_ADDR": address, "HTTP_OCS_APIREQUEST": "true"}
    if sign:
        headers["HTTP_SPREED_SIGNALING_RANDOM"] = random
        headers["HTTP_SPREED_SIGNALING_CHECKSUM"] = checksum(secret, random, body)
    return Client(enforce_csrf_checks=True).post(URL, data=body, content_type="application/json", **headers)


def data(response):
    assert response["Content-Type"].startswith("application/json")
    return response.json()["ocs"]["data"]


def room_join(room, session_id, **extra):
    return {
        "type": "room",
        "room": {"version": "1.0", "roomid": room.token, "userid": "", "sessionid": session_id, **extra},
    }


# --- checksum ---------------------------------------------------------------------------


def test_the_reference_test_vector_matches():
    body = b'{"type":"auth","auth":{"version":"1.0","params":{"hello":"world"}}}'
    random = "afb6b872ab03e3376b31bf0af601067222ff7990335ca02d327071b73c0119c6"
    assert checksum("MySecretValue", random, body) == "3c4a69ff328299803ac2879614b707c807b4758cf19450755c60656cac46e3bc"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sign": False},
        {"secret": "not-the-secret"},
        {"random": "too-short"},
    ],
)
@pytest.mark.django_db
def test_unsigned_or_badly_signed_requests_get_invalid_request(kwargs):
    response = post({"type": "ping", "ping": {"entries": []}}, **kwargs)
    assert response.status_code == 200
    assert data(response) == {
        "type": "error",
        "error": {"code": "invalid_request", "message": "The request could not be authenticated."},
    }


@pytest.mark.django_db
def test_an_uppercase_checksum_is_accepted():
    body = json.dumps({"type": "ping", "ping": {"entries": []}}).encode()
    response = Client().post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_SPREED_SIGNALING_RANDOM=RANDOM,
        HTTP_SPREED_SIGNALING_CHECKSUM=checksum(SECRET, RANDOM, body).upper(),
    )
    assert data(response) == {"type": "room", "room": {"version": "1.0"}}


@pytest.mark.django_db
def test_without_a_configured_secret_nothing_is_accepted(settings):
    settings.TALK_CALLS = {}
    response = post({"type": "ping", "ping": {"entries": []}}, secret="")
    assert data(response)["error"]["code"] == "invalid_request"


FAILURE_LIMIT, _ = parse_rate(DEFAULT_RATES["signaling_backend_address"])


@pytest.mark.django_db
def test_repeated_failures_are_throttled_per_address_even_with_a_good_checksum():
    for _ in range(FAILURE_LIMIT):
        assert post({"type": "ping"}, secret="wrong", address="10.9.9.9").status_code == 200
    throttled = post({"type": "ping", "ping": {"entries": []}}, address="10.9.9.9")
    assert throttled.status_code == 429
    assert data(throttled)["error"]["code"] == "invalid_request"
    assert 1 <= int(throttled["Retry-After"]) <= 300
    # Another address (the real signaling server) is not affected.
    assert data(post({"type": "ping", "ping": {"entries": []}}, address="10.9.9.10"))["type"] == "room"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.django_db
def test_other_methods_answer_ocs_405(method):
    response = getattr(Client(), method)(URL)
    assert response.status_code == 405
    assert response.json()["ocs"]["meta"]["statuscode"] == 405


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b'{"type": "auth", "auth": []}', b'{"type": "ping", "ping": {}}'],
)
@pytest.mark.django_db
def test_signed_garbage_gets_400_invalid_request(raw):
    response = post(None, raw=raw)
    assert response.status_code == 400
    assert data(response)["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": "room", "room": {"roomid": "a\\ud800b", "sessionid": "s"}}',
        b'{"type": "ping", "ping": {"roomid": "r", "entries": [{"sessionid": "a\\u0000b"}]}}',
        b'{"type": "auth", "auth": {"params": {"userid": "' + b"x" * 70_000 + b'"}}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"type": "ping", "ping": ' + b"[" * 40 + b"]" * 40 + b"}",
    ],
    ids=["surrogate", "nul", "overlong", "deep", "deeper-than-32"],
)
@pytest.mark.django_db
def test_signed_bodies_with_strings_no_parameter_may_hold_get_400(raw):
    """The hostile-input rules of every endpoint (parsers.check_values); before them a lone
    surrogate reached PostgreSQL and very deep JSON the recursion limit: 500s."""
    response = post(None, raw=raw)
    assert response.status_code == 400
    assert data(response)["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("incall", ["3", 1.5, True, 2**70, -1, 16])
@pytest.mark.django_db
def test_a_join_with_a_bad_incall_is_refused_before_the_session_is_created(incall):
    room = RoomFactory()
    attendee = AttendeeFactory(room=room)
    actor = {"actorid": attendee.actor_id, "actortype": attendee.actor_type}
    response = post(room_join(room, "virtual-session-1", incall=incall, **actor))
    assert response.status_code == 400
    assert not Session.objects.filter(session_id="virtual-session-1").exists()


@pytest.mark.django_db
def test_unknown_types_get_unknown_type():
    response = post({"type": "session", "session": {"version": "1.0"}})
    assert response.status_code == 200
    assert data(response)["error"]["code"] == "unknown_type"


# --- auth -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_auth_with_a_user_ticket_answers_the_user_and_display_name():
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    uid = user.get_username()
    response = post({"type": "auth", "auth": {"version": "1.0", "params": {"userid": uid, "ticket": make_ticket(uid)}}})
    assert data(response) == {
        "type": "auth",
        "auth": {"version": "1.0", "userid": uid, "user": {"displayname": "Ada Lovelace"}},
    }


@pytest.mark.parametrize("userid", [None, ""])
@pytest.mark.django_db
def test_auth_of_a_guest_has_no_user(userid):
    params = {"userid": userid, "ticket": make_ticket(userid)}
    assert data(post({"type": "auth", "auth": {"version": "1.0", "params": params}})) == {
        "type": "auth",
        "auth": {"version": "1.0"},
    }


@pytest.mark.django_db
def test_auth_with_another_users_ticket_is_invalid_ticket():
    alice, bob = UserFactory(), UserFactory()
    params = {"userid": bob.get_username(), "ticket": make_ticket(alice.get_username())}
    answer = data(post({"type": "auth", "auth": {"version": "1.0", "params": params}}))
    assert answer["error"]["code"] == "invalid_ticket"
    guest = {"userid": alice.get_username(), "ticket": make_ticket(None)}
    assert data(post({"type": "auth", "auth": {"params": guest}}))["error"]["code"] == "invalid_ticket"


@pytest.mark.django_db
def test_auth_of_a_deleted_user_is_no_such_user():
    params = {"userid": "nobody-here", "ticket": make_ticket("nobody-here")}
    assert data(post({"type": "auth", "auth": {"params": params}}))["error"]["code"] == "no_such_user"


# --- room -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_room_join_answers_properties_and_permissions_and_refreshes_the_ping():
    room = RoomFactory(name="Weekly", description="Plans")
    attendee = AttendeeFactory(room=room, moderator=True)
    session = SessionFactory(attendee=attendee, last_ping=timezone.now() - timedelta(seconds=50))
    answer = data(post(room_join(room, session.session_id, userid=attendee.actor_id)))
    assert answer == {
        "type": "room",
        "room": {
            "version": "1.0",
            "roomid": room.token,
            "properties": {
                "name": "Weekly",
                "type": room.type,
                "lobby-state": room.lobby_state,
                "lobby-timer": None,
                "read-only": room.read_only,
                "listable": room.listable,
                "active-since": None,
                "sip-enabled": room.sip_enabled,
                "description": "Plans",
            },
            "permissions": ["publish-audio", "publish-video", "publish-screen", "control"],
        },
    }
    session.refresh_from_db()
    assert timezone.now() - session.last_ping < timedelta(seconds=5)


@pytest.mark.django_db
def test_room_permissions_follow_the_attendee_permissions():
    room = RoomFactory()
    attendee = AttendeeFactory(room=room, permissions=int(Permission.CUSTOM | Permission.PUBLISH_AUDIO))
    session = SessionFactory(attendee=attendee)
    assert data(post(room_join(room, session.session_id)))["room"]["permissions"] == ["publish-audio"]


@pytest.mark.django_db
def test_room_join_of_unknown_rooms_sessions_and_users_is_no_such_room():
    room = RoomFactory()
    other = SessionFactory()  # a session of another room
    stranger = UserFactory().get_username()
    for message in (
        room_join(RoomFactory.build(token="nosuchroom"), "x"),
        room_join(room, "no-such-session"),
        room_join(room, other.session_id),
        room_join(room, "", userid=stranger),
        room_join(room, ""),
    ):
        assert data(post(message)) == {
            "type": "error",
            "error": {"code": "no_such_room", "message": "The user is not invited to this room."},
        }


@pytest.mark.django_db
def test_room_leave_ends_the_talk_session_and_its_call():
    room = RoomFactory(with_call=True)
    attendee = AttendeeFactory(room=room)
    session = SessionFactory(attendee=attendee, joined=True)
    answer = data(post(room_join(room, session.session_id, action="leave")))
    assert answer["type"] == "room"
    assert not Session.objects.filter(pk=session.pk).exists()
    room.refresh_from_db()
    assert room.active_since is None


@pytest.mark.django_db
def test_internal_clients_join_with_a_new_session_of_their_actor_and_a_taken_id_is_duplicate_session():
    room = RoomFactory()
    attendee = AttendeeFactory(room=room)
    actor = {"actorid": attendee.actor_id, "actortype": attendee.actor_type}
    answer = data(post(room_join(room, "virtual-session-1", **actor)))
    assert answer["type"] == "room"
    assert Session.objects.get(session_id="virtual-session-1").attendee == attendee
    taken = SessionFactory()  # the id belongs to a session of another room
    answer = data(post(room_join(room, taken.session_id, **actor)))
    assert answer["error"]["code"] == "duplicate_session"


@pytest.mark.django_db
def test_internal_clients_may_join_the_call_with_incall():
    room = RoomFactory()
    attendee = AttendeeFactory(room=room, moderator=True)
    actor = {"actorid": attendee.actor_id, "actortype": attendee.actor_type}
    flags = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO)
    answer = data(post(room_join(room, "sip-session-1", incall=flags, **actor)))
    assert answer["room"]["properties"]["active-since"] is not None
    assert Session.objects.get(session_id="sip-session-1").in_call == flags
    assert attendee.participant_type == ParticipantType.MODERATOR


# --- ping -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ping_refreshes_every_listed_session_in_a_constant_number_of_queries(django_assert_num_queries):
    room = RoomFactory()
    old = timezone.now() - timedelta(seconds=60)
    sessions = [SessionFactory(attendee=AttendeeFactory(room=room), last_ping=old) for _ in range(5)]
    untouched = SessionFactory(attendee=AttendeeFactory(room=room), last_ping=old)
    entries = [{"userid": s.attendee.actor_id, "sessionid": s.session_id} for s in sessions]
    entries.append({"userid": "", "sessionid": "0"})
    message = {"type": "ping", "ping": {"version": "1.0", "roomid": room.token, "entries": entries}}
    with django_assert_num_queries(1):
        response = post(message)
    assert data(response) == {"type": "room", "room": {"version": "1.0"}}
    assert Session.objects.filter(last_ping__gt=old, pk__in=[s.pk for s in sessions]).count() == 5
    untouched.refresh_from_db()
    assert untouched.last_ping == old


@pytest.mark.django_db
def test_ping_of_200_sessions_costs_the_same_as_of_2(django_assert_num_queries):
    room = RoomFactory()
    many = [{"sessionid": SessionFactory(attendee=AttendeeFactory(room=room)).session_id} for _ in range(200)]
    with django_assert_num_queries(1):
        post({"type": "ping", "ping": {"roomid": room.token, "entries": many[:2]}})
    with django_assert_num_queries(1):
        post({"type": "ping", "ping": {"roomid": room.token, "entries": many}})
