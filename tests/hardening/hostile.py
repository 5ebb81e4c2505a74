"""The hostile-input generator of ``test_hostile.py``: endpoints, their parameters, and the
classes of input no server may answer with a 500 or let change the database.

``ENDPOINTS`` lists every endpoint of the app with the actor it is aimed at and the type of
each parameter it reads (``str``, ``int``, ``bool``, ``list``, ``obj``); ``typed`` marks the
parameters read on every request, so a wrong type must be refused there. Every string class
(surrogates, NUL, control characters, over-long, deep nesting) is refused for any
parameter, read or not (``parsers.check_values``).

The signaling backend (``BACKEND``) is no client endpoint: the signaling server signs its
requests, and an unsigned one is answered like the reference (200, ``invalid_request``).
``backend_cases`` puts every string class and wrong type into each field of its three
requests (``auth``, ``room``, ``ping``), signed with ``BACKEND_SECRET``, so the body is
read; ``unsigned_backend_cases`` sends the same without or with wrong checksums.
"""

import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import quote

V4 = "/ocs/v2.php/apps/spreed/api/v4"
V3 = "/ocs/v2.php/apps/spreed/api/v3"
BACKEND = f"{V3}/signaling/backend"
BACKEND_SECRET = "hostile-suite-signaling-secret-0123456789"


@dataclass(frozen=True)
class Endpoint:
    actor: str  # owner, member, guest, outsider
    method: str
    path: str  # with {group}, {public}, {phone}, {member_attendee}
    params: dict = field(default_factory=dict)  # name -> kind
    typed: tuple = ()  # parameters read on every request: a wrong type is a 400


ENDPOINTS = [
    Endpoint("owner", "GET", "/ocs/v2.php/cloud/capabilities"),
    Endpoint("owner", "GET", "/ocs/v1.php/cloud/user"),
    Endpoint(
        "owner",
        "GET",
        f"{V4}/room",
        {"modifiedSince": "int", "includeStatus": "bool"},
        ("modifiedSince", "includeStatus"),
    ),
    Endpoint(
        "owner",
        "POST",
        f"{V4}/room",
        {
            "roomType": "int",
            "roomName": "str",
            "invite": "str",
            "source": "str",
            "participants": "obj",
            "objectType": "str",
            "objectId": "str",
            "password": "str",
            "readOnly": "int",
            "listable": "int",
            "lobbyState": "int",
            "lobbyTimer": "int",
            "sipEnabled": "int",
            "permissions": "int",
            "recordingConsent": "int",
            "description": "str",
        },
        ("roomType", "roomName", "participants", "objectType", "password", "readOnly", "lobbyTimer", "description"),
    ),
    Endpoint("owner", "GET", f"{V4}/room/{{group}}"),
    Endpoint("owner", "PUT", f"{V4}/room/{{group}}", {"roomName": "str"}, ("roomName",)),
    Endpoint("member", "DELETE", f"{V4}/room/{{group}}"),
    Endpoint("owner", "GET", f"{V4}/room/{{group}}/participants", {"includeStatus": "bool"}),
    Endpoint(
        "owner",
        "POST",
        f"{V4}/room/{{group}}/participants",
        {"source": "str", "newParticipant": "str"},
        ("source", "newParticipant"),
    ),
    Endpoint("outsider", "DELETE", f"{V4}/room/{{group}}/participants/self"),
    Endpoint("member", "PUT", f"{V4}/room/{{group}}/participants/state", {"state": "int"}, ("state",)),
    Endpoint("owner", "DELETE", f"{V4}/room/{{group}}/attendees", {"attendeeId": "int"}, ("attendeeId",)),
    Endpoint("owner", "POST", f"{V4}/room/{{group}}/moderators", {"attendeeId": "int"}, ("attendeeId",)),
    Endpoint("owner", "DELETE", f"{V4}/room/{{group}}/moderators", {"attendeeId": "int"}, ("attendeeId",)),
    Endpoint(
        "owner",
        "PUT",
        f"{V4}/room/{{group}}/attendees/permissions",
        {"attendeeId": "int", "method": "str", "permissions": "int"},
        ("attendeeId",),
    ),
    Endpoint("owner", "PUT", f"{V4}/room/{{group}}/permissions/default", {"permissions": "int"}, ("permissions",)),
    Endpoint(
        "owner", "PUT", f"{V4}/room/{{group}}/webinar/lobby", {"state": "int", "timer": "int"}, ("state", "timer")
    ),
    Endpoint("owner", "PUT", f"{V4}/room/{{group}}/webinar/sip", {"state": "int"}),
    Endpoint("owner", "PUT", f"{V4}/room/{{group}}/read-only", {"state": "int"}, ("state",)),
    Endpoint("owner", "PUT", f"{V4}/room/{{group}}/listable", {"scope": "int"}, ("scope",)),
    Endpoint("owner", "POST", f"{V4}/room/{{group}}/public", {"password": "str"}, ("password",)),
    Endpoint("owner", "PUT", f"{V4}/room/{{public}}/password", {"password": "str"}, ("password",)),
    Endpoint(
        "owner", "PUT", f"{V4}/room/{{group}}/recording-consent", {"recordingConsent": "int"}, ("recordingConsent",)
    ),
    Endpoint(
        "guest",
        "POST",
        f"{V4}/room/{{public}}/participants/active",
        {"password": "str", "force": "bool"},
        ("password", "force"),
    ),
    Endpoint("member", "DELETE", f"{V4}/room/{{group}}/participants/active"),
    Endpoint(
        "guest", "POST", "/ocs/v2.php/apps/spreed/api/v1/guest/{public}/name", {"displayName": "str"}, ("displayName",)
    ),
    Endpoint("owner", "GET", f"{V4}/call/{{group}}"),
    Endpoint(
        "member",
        "POST",
        f"{V4}/call/{{group}}",
        {"flags": "int", "silent": "bool", "silentFor": "list", "recordingConsent": "bool"},
        ("flags", "silent", "silentFor", "recordingConsent"),
    ),
    Endpoint("owner", "PUT", f"{V4}/call/{{group}}", {"flags": "int"}, ("flags",)),
    Endpoint("owner", "DELETE", f"{V4}/call/{{group}}", {"all": "bool"}, ("all",)),
    Endpoint("owner", "POST", f"{V4}/call/{{group}}/ring/{{member_attendee}}"),
    Endpoint("owner", "POST", f"{V4}/call/{{group}}/dialout/{{phone}}"),
    Endpoint("owner", "GET", f"{V4}/call/{{group}}/notification-state"),
    Endpoint("owner", "GET", f"{V4}/call/{{group}}/download", {"format": "str"}),
    Endpoint("owner", "GET", f"{V3}/signaling/settings", {"token": "str"}, ("token",)),
    Endpoint("owner", "POST", f"{V3}/signaling/{{group}}", {"messages": "str"}),
    Endpoint("member", "GET", f"{V3}/signaling/{{group}}"),
    Endpoint("owner", "GET", f"{V4}/no/such/endpoint", {"x": "str"}),
]

DEEP = 200  # levels: over parsers.MAX_JSON_DEPTH, far under the body limit

#: String classes, each as a raw JSON value (so lone surrogates survive encoding).
JSON_STRINGS = {
    "surrogate": '"a\\ud800b"',
    "surrogate-low": '"\\udfff"',
    "nul": '"a\\u0000b"',
    "control": '"a\\u0001\\u001bb"',
    "del": '"\\u007f"',
    "overlong": json.dumps("x" * 70_000),
    "deep": "[" * DEEP + "]" * DEEP,
    "deep-object": '{"a":' * DEEP + "1" + "}" * DEEP,
    "nested-bad": '{"k": [["\\ud83d"]]}',
}

#: String classes that a form body or query string can carry.
FORM_STRINGS = {
    "nul": "a%00b",
    "control": "a%01%1Bb",
    "overlong": "x" * 70_000,
}

WRONG_TYPES = {
    "str": ["{}", '[["x"]]'],
    "int": ['"abc"', "{}", "1.5", str(2**70), "true"],
    "bool": ['"maybe"', "{}", "2"],
    "list": ["[{}]", "[[1]]"],
    "obj": ['"x"', "[1]"],
}


def json_body(values: dict) -> bytes:
    """Return a JSON object whose values are raw JSON texts."""
    return ("{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in values.items()) + "}").encode()


def cases(paths: dict):
    """Yield ``(actor, method, path, query, content_type, body, label)`` for every endpoint,
    parameter and class."""
    for endpoint in ENDPOINTS:
        path = endpoint.path.format(**paths)
        names = list(endpoint.params) or ["unknownParameter"]
        for name in names:
            for label, raw in JSON_STRINGS.items():
                yield (
                    endpoint.actor,
                    endpoint.method,
                    path,
                    "",
                    "application/json",
                    json_body({name: raw}),
                    f"json {name} {label}",
                )
            for label, raw in FORM_STRINGS.items():
                yield (
                    endpoint.actor,
                    endpoint.method,
                    path,
                    f"?{quote(name)}={raw}",
                    "",
                    b"",
                    f"query {name} {label}",
                )
                yield (
                    endpoint.actor,
                    endpoint.method,
                    path,
                    "",
                    "application/x-www-form-urlencoded",
                    f"{quote(name)}={raw}".encode(),
                    f"form {name} {label}",
                )
            if name in endpoint.typed:
                for raw in WRONG_TYPES[endpoint.params[name]]:
                    yield (
                        endpoint.actor,
                        endpoint.method,
                        path,
                        "",
                        "application/json",
                        json_body({name: raw}),
                        f"type {name} {raw}",
                    )
        # The same string classes from every other actor: refused before any permission check.
        for actor in ("owner", "member", "guest", "outsider"):
            if actor != endpoint.actor:
                for label, raw in JSON_STRINGS.items():
                    yield (
                        actor,
                        endpoint.method,
                        path,
                        "",
                        "application/json",
                        json_body({names[0]: raw}),
                        f"{actor} {label}",
                    )
        # Bodies that are no JSON object, or not JSON at all.
        for body in (b"[1,2", b'"text"', b"\xff\xfe", b"{" * 5000, b"[" * 100_000):
            yield endpoint.actor, endpoint.method, path, "", "application/json", body, "malformed json"
        yield endpoint.actor, endpoint.method, path, "", "multipart/form-data", b"--x--", "multipart without boundary"
        yield endpoint.actor, endpoint.method, path, "", "text/plain; charset=utf-8", b"a=b", "unknown content type"


#: Request heads for ``raw_request`` (header lines as bytes), each must be answered 4xx.
BAD_HEADS = {
    "charset-nul": [b"Content-Type: application/json; charset=utf-8\x00"],
    "charset-control": [b"Content-Type: application/json; charset=\x01"],
    "charset-rot13": [b"Content-Type: application/json; charset=rot13"],
    "charset-base64": [b"Content-Type: application/x-www-form-urlencoded; charset=base64"],
    "charset-utf16": [b"Content-Type: application/json; charset=utf-16"],
    "charset-unknown": [b"Content-Type: application/json; charset=no-such-codec"],
    "charset-long": [b"Content-Type: application/json; charset=" + b"u" * 5000],
    "content-type-garbage": [b'Content-Type: ;;;=="\x7f'],
    "content-length-text": [b"Content-Length: abc"],
    "content-length-negative": [b"Content-Length: -1"],
    "authorization-garbage": [b"Authorization: Basic ####"],
    "authorization-latin1": [b"Authorization: Basic " + __import__("base64").b64encode(b"\xed\xa0\x80:pw")],
}


#: The backend's requests with one hole (``@``) for a hostile JSON value; ``{group}`` and
#: ``{member}`` name a real room and a real attendee, so the request reaches the database.
BACKEND_TEMPLATES = {
    "body": "@",
    "type": '{"type": @}',
    "auth": '{"type": "auth", "auth": @}',
    "auth params": '{"type": "auth", "auth": {"version": "1.0", "params": @}}',
    "auth userid": '{"type": "auth", "auth": {"version": "1.0", "params": {"userid": @, "ticket": "a:1:b:c"}}}',
    "auth ticket": '{"type": "auth", "auth": {"version": "1.0", "params": {"userid": "{member}", "ticket": @}}}',
    "room": '{"type": "room", "room": @}',
    "room roomid": '{"type": "room", "room": {"roomid": @, "sessionid": "s", "userid": "{member}"}}',
    "room sessionid": '{"type": "room", "room": {"roomid": "{group}", "sessionid": @, "userid": "{member}"}}',
    "room userid": '{"type": "room", "room": {"roomid": "{group}", "sessionid": "", "userid": @}}',
    "room action": '{"type": "room", "room": {"roomid": "{group}", "sessionid": "s", "action": @}}',
    "room actorid": '{"type": "room", "room": {"roomid": "{group}", "actortype": "users", "actorid": @}}',
    "room incall": '{"type": "room", "room": {"roomid": "{group}", "sessionid": "new", "userid": "{member}", "incall": @}}',
    "ping": '{"type": "ping", "ping": @}',
    "ping roomid": '{"type": "ping", "ping": {"roomid": @, "entries": []}}',
    "ping entries": '{"type": "ping", "ping": {"roomid": "{group}", "entries": @}}',
    "ping sessionid": '{"type": "ping", "ping": {"roomid": "{group}", "entries": [{"sessionid": @}]}}',
}

#: Values of a wrong type for every hole (a string where an object belongs, and so on).
BACKEND_WRONG_TYPES = ['"x"', "1", "1.5", str(2**70), "true", "null", "[]", "{}", '[["x"]]', '{"a": {}}']


def _fill(template: str, value: str, paths: dict) -> bytes:
    text = template.replace("{group}", paths["group"]).replace("{member}", paths["member"])
    return text.replace("@", value).encode()


def backend_cases(paths: dict):
    """Yield ``(body, label, unreadable)`` for every backend field and every string class or
    wrong type; ``unreadable`` bodies must be refused with 400 (a wrong type may also get the
    backend's answer: an error, or the room's answer to a request that changes nothing)."""
    for field_name, template in BACKEND_TEMPLATES.items():
        for label, raw in JSON_STRINGS.items():
            yield _fill(template, raw, paths), f"backend {field_name} {label}", True
        for raw in BACKEND_WRONG_TYPES:
            if field_name == "room incall" and raw in ("1", "null"):
                continue  # valid: the join would create the session
            yield _fill(template, raw, paths), f"backend {field_name} type {raw}", False
    for body in (b"[1,2", b"\xff\xfe", b"{" * 5000, b"[" * 100_000, b""):
        yield body, "backend malformed json", True


def unsigned_backend_cases(paths: dict):
    """Yield ``(headers, body, label)``: backend bodies with a missing, short, wrong or
    mangled checksum."""
    body = _fill(BACKEND_TEMPLATES["ping sessionid"], '"a\\ud800b"', paths)
    random = secrets.token_hex(32)
    yield {}, body, "no checksum"
    yield {"Spreed-Signaling-Random": random}, body, "no checksum header"
    yield {"Spreed-Signaling-Random": "short", "Spreed-Signaling-Checksum": "0" * 64}, body, "short random"
    yield {"Spreed-Signaling-Random": random, "Spreed-Signaling-Checksum": "0" * 64}, body, "wrong checksum"
    yield {"Spreed-Signaling-Random": random, "Spreed-Signaling-Checksum": "\u00e9" * 64}, body, "non-hex checksum"
