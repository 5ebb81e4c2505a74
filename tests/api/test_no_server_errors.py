"""No input produces a 500 (CONTRACT section 3): odd bodies, types and headers over every endpoint."""

import base64
import json

import pytest

from talk_calls.models import Session
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import OCSClient, call_url, room_url

pytestmark = pytest.mark.django_db

BIG = "x" * (2_621_440 + 10)  # just over Django's default DATA_UPLOAD_MAX_MEMORY_SIZE

BODIES = [
    ("application/json", "{"),
    ("application/json", "[1, 2, 3]"),
    ("application/json", '"text"'),
    ("application/json", "12"),
    ("application/json", "null"),
    ("application/json", '{"flags": {"a": [1]}, "all": [], "force": {}, "password": 5, "silentFor": {"x": {}}}'),
    ("application/json", '{"flags": 1e400, "all": "\\u0000", "password": null, "silentFor": [[1]]}'),
    ("application/json", '{"flags": 99999999999999999999999999, "password": "' + "p" * 100_000 + '"}'),
    ("application/json", json.dumps({"password": BIG})),
    ("application/json", json.dumps({"password": "a\x00b", "silentFor": ["\x00"], "flags": "\x001"})),
    ("application/x-www-form-urlencoded", "password=a%00b&silentFor[]=%00"),
    ("application/json", b"\xff\xfe\xfa"),
    ("application/x-www-form-urlencoded", "flags=abc&all=maybe&force=2&password[]=a&silentFor=x"),
    ("application/x-www-form-urlencoded", "flags[]=1&flags[]=2&all[x]=1"),
    ("application/x-www-form-urlencoded", "%%%&&&==="),
    ("application/x-www-form-urlencoded", "&".join(f"k{i}=v" for i in range(1200))),
    ("application/x-www-form-urlencoded", "password=" + BIG),
    ("multipart/form-data", "no boundary here"),
    ("multipart/form-data; boundary=xyz", '--xyz\r\nContent-Disposition: form-data; name="flags"\r\n\r\n1\r\n--xyz--'),
    ("text/plain", "flags=1"),
    ("application/xml", "<flags>1</flags>"),
    ("", ""),
]

QUERIES = [
    "",
    "?format=xml",
    "?all=%00&flags=%001&password=%00&format=%00",
    "?flags=-1&all=2",
    "?flags[]=1",
    "?" + "&".join(f"q{i}=1" for i in range(1200)),
]


def paths(token):
    return [
        "/ocs/v1.php/cloud/capabilities",
        "/ocs/v2.php/cloud/capabilities",
        "/ocs/v1.php/cloud/user",
        "/ocs/v2.php/cloud/user",
        room_url(token, "/participants/active"),
        call_url(token),
        call_url("nosuchroom"),
        room_url("nosuchroom", "/participants/active"),
        "/ocs/v2.php/apps/spreed/api/v4/unknown",
    ]


@pytest.fixture
def clients(room):
    attendee = AttendeeFactory(room=room, moderator=True)
    joined = OCSClient(attendee.user, raise_request_exception=False)
    assert joined.join_room(room.token).status_code == 200
    return {
        "guest": OCSClient(raise_request_exception=False),
        "user": OCSClient(AttendeeFactory(room=room).user, raise_request_exception=False),
        "joined": joined,
        "browser": OCSClient(attendee.user, basic=False, ocs_header=False, raise_request_exception=False),
    }


def assert_client_error(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"
    if response.request["REQUEST_METHOD"] == "HEAD":
        return  # no body to read
    body = response.json()  # always JSON: OCS, or the plain CSRF answer
    assert "ocs" in body or body == {"message": "CSRF check failed"}, what


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
def test_odd_bodies_never_cause_a_server_error(clients, room, method):
    for name, client in clients.items():
        for path in paths(room.token):
            for content_type, body in BODIES:
                response = client.generic(method, path, body, content_type=content_type)
                assert_client_error(response, f"{name} {method} {path} {content_type} {str(body)[:60]}")


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"])
def test_odd_query_strings_never_cause_a_server_error(clients, room, method):
    for name, client in clients.items():
        for path in paths(room.token):
            for query in QUERIES:
                response = client.generic(method, path + query)
                assert_client_error(response, f"{name} {method} {path}{query[:60]}")


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_AUTHORIZATION": "Basic"},
        {"HTTP_AUTHORIZATION": "Basic ====="},
        {"HTTP_AUTHORIZATION": "Basic " + "A" * 10_000},
        {"HTTP_AUTHORIZATION": "Digest abc"},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"a\x00b:pw").decode()},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(("u" * 5000 + ":pw").encode()).decode()},
        {"HTTP_OCS_APIREQUEST": "\x00"},
        {"HTTP_ACCEPT": "application/xml"},
        {"HTTP_COOKIE": "sessionid=" + "z" * 5000},
    ],
)
def test_odd_headers_never_cause_a_server_error(room, header):
    client = OCSClient(raise_request_exception=False)
    for path in paths(room.token):
        for method in ("GET", "POST", "DELETE"):
            assert_client_error(client.generic(method, path, **header), f"{header} {method} {path}")


def test_rejected_inputs_change_nothing(clients, room):
    """A rejected join leaves the sessions as they were; nobody ends up in a call."""
    public = RoomFactory(public=True)
    guest = clients["guest"]
    rejected = 0
    for content_type, body in BODIES:
        before = set(Session.objects.values_list("session_id", flat=True))
        response = guest.generic(
            "POST", room_url(public.token, "/participants/active"), body, content_type=content_type
        )
        if response.status_code != 200:
            rejected += 1
            assert set(Session.objects.values_list("session_id", flat=True)) == before, (content_type, str(body)[:60])
    assert rejected >= 10  # the rest only carry parameters a join ignores
    assert not Session.objects.exclude(in_call=0).exists()
