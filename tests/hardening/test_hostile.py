"""The hostile-input suite (issue 11): thousands of requests against gunicorn on PostgreSQL
with ``DEBUG=0``, to every endpoint, every parameter, every class of bad input; every answer
is a 4xx and the database is unchanged.

Runs once under WSGI (gunicorn threads) and once under ASGI (uvicorn workers), as the site
is served both ways. Figures of a run go to ``artifacts/hostile-report-{wsgi,asgi}.json`` (requests sent, statuses seen);
``docs/RELIABILITY.md`` quotes the last one.
"""

import json
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from talk_calls.constants import InCallFlag
from talk_calls.hpb.checksum import signed_headers

from ..factories import AttendeeFactory, PhoneAttendeeFactory, RoomFactory, UserFactory
from .hostile import (
    BACKEND,
    BACKEND_SECRET,
    BAD_HEADS,
    ENDPOINTS,
    V4,
    backend_cases,
    cases,
    unsigned_backend_cases,
)
from .servers import ROOT, GunicornServer, HttpActor

pytestmark = [pytest.mark.postgres, pytest.mark.live, pytest.mark.django_db(transaction=True)]

#: Small enough that over-limit bodies fit in the socket buffers, so the server answers
#: 413 without the client seeing a reset; the rule is the same at Django's 2.5 MiB.
LIMIT = 131_072
TABLES = [
    "talk_calls_room",
    "talk_calls_attendee",
    "talk_calls_session",
    "talk_calls_callevent",
    "talk_calls_callnotification",
    "talk_calls_recordingconsent",
    "auth_user",
    "auth_group",
]


def snapshot() -> dict:
    """Return a digest of every row of the app's tables (and users, groups)."""
    digests = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM {table} t")
            digests[table] = cursor.fetchone()
    return digests


def raw_request(port, method, path, head_lines, body=b"", *, chunks=None) -> int:
    """Send a hand-made request (heads http.client refuses to write); return the status."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"OCS-APIRequest: true", b"Connection: close"]
    lines += head_lines
    if chunks is not None:
        lines.append(b"Transfer-Encoding: chunked")
    elif not any(line.lower().startswith(b"content-length") for line in head_lines):
        lines.append(f"Content-Length: {len(body)}".encode())
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        try:
            if chunks is not None:
                for chunk in chunks:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sock.sendall(b"0\r\n\r\n")
            else:
                sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading the whole body
        reply = b""
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionResetError:
                part = b""
            if not part:
                break
            reply += part
    if not reply:
        return 0  # the server closed the connection without an answer
    head, _, data = reply.partition(b"\r\n\r\n")
    return effective_status(int(reply.split(b" ", 2)[1]), data, path)


def backend_error(data: bytes) -> str | None:
    """Return the error code of a signaling backend answer, or None."""
    try:
        answer = json.loads(data)["ocs"]["data"]
        return answer["error"]["code"] if answer.get("type") == "error" else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def effective_status(status: int, data: bytes, path: str) -> int:
    """Return the status a client acts on: v1 OCS paths answer HTTP 200 and put the error
    status in ``meta.statuscode``."""
    if status == 200 and "/ocs/v1.php/" in path:
        try:
            meta = json.loads(data)["ocs"]["meta"]
        except (ValueError, KeyError, TypeError):
            return status
        if meta["status"] == "failure":
            return int(meta["statuscode"])
    return status


@pytest.fixture
def world():
    owner_user, member_user, outsider_user = UserFactory(), UserFactory(), UserFactory()
    group = RoomFactory()
    AttendeeFactory(room=group, user=owner_user, owner=True)
    member = AttendeeFactory(room=group, user=member_user)
    phone = PhoneAttendeeFactory(room=group)
    public = RoomFactory(public=True)
    AttendeeFactory(room=public, user=owner_user, owner=True)
    return {
        "users": {"owner": owner_user, "member": member_user, "outsider": outsider_user},
        "paths": {
            "group": group.token,
            "public": public.token,
            "member": member_user.get_username(),
            "phone": phone.pk,
            "member_attendee": member.pk,
        },
    }


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_hostile_inputs_answer_4xx_and_change_nothing(world, kind):
    env = {
        "DATA_UPLOAD_MAX_MEMORY_SIZE": str(LIMIT),
        "TALK_SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend",
        "TALK_LOG_LEVEL": "ERROR",
        # Internal signaling stays on (no server listed); the backend checks this secret.
        "TALK_SIGNALING_SECRET": BACKEND_SECRET,
    }
    paths = world["paths"]
    with GunicornServer(workers=2, threads=4, env=env, asgi=kind == "asgi") as server:
        actors = {name: HttpActor(server, user.get_username()) for name, user in world["users"].items()}
        actors["guest"] = HttpActor(server)
        # Setup over HTTP: everyone gets a Django session (Basic checked once), the owner and
        # the member join the group room and its call, the guest joins the public room.
        group_join = f"{V4}/room/{paths['group']}/participants/active"
        for name in ("owner", "member"):
            assert actors[name].send("POST", group_join, keep_cookies=True)[0] == 200
        flags = json.dumps({"flags": int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO)}).encode()
        for name in ("owner", "member"):
            status, _ = actors[name].send(
                "POST", f"{V4}/call/{paths['group']}", body=flags, content_type="application/json"
            )
            assert status == 200
        public_join = f"{V4}/room/{paths['public']}/participants/active"
        assert actors["guest"].send("POST", public_join, keep_cookies=True)[0] == 200
        assert actors["outsider"].send("GET", "/ocs/v2.php/cloud/user", keep_cookies=True)[0] == 200

        before = snapshot()
        statuses, failures = Counter(), []
        started = time.monotonic()

        def run(case):
            actor, method, path, query, content_type, body, label = case
            status, data = actors[actor].send(method, path + query, body=body, content_type=content_type)
            return effective_status(status, data, path), data, f"{actor} {method} {path} {label}"

        all_cases = list(cases(paths))
        with ThreadPoolExecutor(4) as pool:
            for status, data, what in pool.map(run, all_cases):
                statuses[status] += 1
                if not 400 <= status < 500:
                    failures.append((status, what, data[:200]))

        # The signaling backend, as the signaling server calls it (signed, no cookies): a
        # body it cannot read is a 400, a request it can read but refuses is the reference's
        # 200 with an error answer; never a 5xx, never a change.
        backend = HttpActor(server)

        def run_backend(case):
            body, label, unreadable = case
            status, data = backend.send(
                "POST", BACKEND, body=body, content_type="application/json",
                extra_headers=signed_headers(BACKEND_SECRET, body),
            )  # fmt: skip
            return status, data, label, unreadable

        signed = list(backend_cases(paths))
        with ThreadPoolExecutor(4) as pool:
            for status, data, what, unreadable in pool.map(run_backend, signed):
                statuses[status] += 1
                if status != 400 and (unreadable or status != 200):
                    failures.append((status, what, data[:200]))
        # Unsigned: refused as the reference does (200, invalid_request), then throttled (429).
        unsigned = list(unsigned_backend_cases(paths)) * 3
        for headers, body, what in unsigned:
            status, data = backend.send(
                "POST", BACKEND, body=body, content_type="application/json", extra_headers=headers
            )
            statuses[status] += 1
            if not (status == 429 or (status == 200 and backend_error(data) == "invalid_request")):
                failures.append((status, f"backend {what}", data[:200]))

        # Heads Django would choke on, huge and chunked bodies: hand-made requests.
        targets = [(e.method, e.path.format(**paths)) for e in ENDPOINTS] + [("POST", BACKEND)]
        raw = 0
        for method, path in targets:
            for label, head in BAD_HEADS.items():
                if path == BACKEND and label.startswith("authorization"):
                    continue  # the backend reads no credentials: its checksum authenticates
                status = raw_request(server.port, method, path, head, b"{}")
                raw += 1
                statuses[status] += 1
                if not 400 <= status < 500:
                    failures.append((status, f"{method} {path} {label}", b""))
            for label, kwargs in {
                "huge json": {"head": [b"Content-Type: application/json"], "body": b'{"a":"' + b"x" * LIMIT + b'"}'},
                "huge file part": {
                    "head": [b"Content-Type: multipart/form-data; boundary=b"],
                    "body": b'--b\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n'
                    + b"x" * LIMIT
                    + b"\r\n--b--\r\n",
                },
                "huge chunked": {"head": [b"Content-Type: application/json"], "chunks": [b"x" * 8192] * 20},
                "chunked surrogate": {
                    "head": [b"Content-Type: application/json"],
                    "chunks": [b'{"password": "\\ud800"}'],
                },
            }.items():
                head = kwargs["head"]
                if path == BACKEND and label == "chunked surrogate":
                    # Signed, so that the backend reads the body.
                    signature = signed_headers(BACKEND_SECRET, b"".join(kwargs["chunks"]))
                    head = [*head, *(f"{name}: {value}".encode() for name, value in signature.items())]
                status = raw_request(
                    server.port, method, path, head, kwargs.get("body", b""), chunks=kwargs.get("chunks")
                )
                raw += 1
                statuses[status] += 1
                expected = 413 if label.startswith("huge") else 400
                if status != expected and not (label == "chunked surrogate" and 400 <= status < 500):
                    failures.append((status, f"{method} {path} {label}", b""))
        elapsed = time.monotonic() - started
        after = snapshot()

    report = {
        "backend_requests": len(signed) + len(unsigned),
        "server": "gunicorn + uvicorn workers (ASGI)" if kind == "asgi" else "gunicorn gthread (WSGI)",
        "requests": len(all_cases) + len(signed) + len(unsigned) + raw,
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "seconds": round(elapsed, 1),
        "endpoints": len(targets),
    }
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    Path(artifacts / f"hostile-report-{kind}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nhostile-input suite: {report}")
    assert not failures, failures[:20]
    assert report["server_errors"] == 0
    assert report["requests"] >= 2000
    assert after == before
