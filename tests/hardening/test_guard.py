"""The request-head guard around the WSGI and the ASGI application (issue 11): heads Django
chokes on while it builds a request answer 400, bodies past the limit 413, under both."""

import asyncio
import io
import json

import pytest
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.test import override_settings

from talk_calls.guard import GuardedASGI, GuardedWSGI

CAPABILITIES = "/ocs/v2.php/cloud/capabilities"

BAD_CONTENT_TYPES = [
    "application/json; charset=utf-8\x00",
    "application/json; charset=rot13",
    "application/x-www-form-urlencoded; charset=base64",
    "application/json; charset=utf-16",
    "application/json; charset=no-such-codec",
    "application/json\x01",
]


def wsgi(environ_extra, body=b""):
    app = GuardedWSGI(get_wsgi_application())
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": CAPABILITIES,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_OCS_APIREQUEST": "true",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(body)),
        **environ_extra,
    }
    seen = {}

    def start_response(status, headers):
        seen["status"] = int(status.split()[0])

    data = b"".join(app(environ, start_response))
    return seen["status"], json.loads(data) if data else None


@pytest.mark.parametrize("content_type", BAD_CONTENT_TYPES)
def test_wsgi_bad_content_type_answers_400(content_type):
    status, body = wsgi({"CONTENT_TYPE": content_type}, b"{}")
    assert status == 400
    assert body["ocs"]["data"]["error"] == "content-type"


def test_wsgi_without_the_guard_django_fails_on_a_nul_charset():
    """Why the guard exists: Django raises while building the request, before any middleware."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": CAPABILITIES,
        "wsgi.input": io.BytesIO(b"{}"),
        "CONTENT_TYPE": "application/json; charset=\x00",
        "CONTENT_LENGTH": "2",
    }
    with pytest.raises(ValueError):
        get_wsgi_application().request_class(environ)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_wsgi_bodies_past_the_limit_answer_413_announced_or_chunked():
    assert wsgi({"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "5000"}, b"x" * 5000)[0] == 413
    chunked = {"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked"}
    assert wsgi(chunked, b"x" * 5000)[0] == 413
    assert wsgi({"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "12abc"}, b"{}")[0] == 400


def asgi(headers, chunks):
    app = GuardedASGI(get_asgi_application())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": CAPABILITIES,
        "raw_path": CAPABILITIES.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"ocs-apirequest", b"true"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body) if body else None


@pytest.mark.parametrize("content_type", BAD_CONTENT_TYPES)
def test_asgi_bad_content_type_answers_400(content_type):
    status, body = asgi([(b"content-type", content_type.encode("latin-1"))], [b"{}"])
    assert status == 400 and body["ocs"]["data"]["error"] == "content-type"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_asgi_bodies_past_the_limit_answer_413_without_buffering_them():
    assert asgi([(b"content-length", b"5000")], [b"x" * 5000])[0] == 413
    # Chunked (no length): counted while received; the rest is never read.
    assert asgi([(b"transfer-encoding", b"chunked")], [b"x" * 600, b"x" * 600, b"x" * 10**6])[0] == 413


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_asgi_a_body_within_the_limit_reaches_django():
    status, body = asgi([(b"content-type", b"application/json")], [b"{", b"}"])
    assert status == 405  # capabilities is GET-only: Django's view answered, with the body replayed
    assert body["ocs"]["meta"]["statuscode"] == 405
