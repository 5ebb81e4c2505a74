"""The signaling endpoints in the served API description: ``signaling/settings``,
``signaling/backend`` and internal signaling's ``signaling/{token}`` (GET and POST, a plain
async view described through ``views.signaling.SignalingDescription``), and real answers of
each validating against it.

The sync client's answers are validated by ``conftest.answers_match_the_description``; the
async client's (one event loop, so the in-memory channel layer relays) here, the same way.
"""

import asyncio
import json

import pytest
from django.test import Client
from django.urls import reverse

from talk_calls.hpb.checksum import signed_headers
from talk_calls.signaling.messages import MAX_MESSAGES_PER_REQUEST
from talk_calls.views import signaling as signaling_views
from tests.factories import AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import basic_header
from tests.signaling.conftest import SIGNALING, AsyncOCS, data, message, run

from .conftest import described_answers, validate_answer

PATHS = {
    f"{SIGNALING}/settings": {"get"},
    f"{SIGNALING}/backend": {"post"},
    f"{SIGNALING}/{{token}}": {"get", "post"},
}
SECRET = "the-shared-secret-of-the-tests"


def test_the_signaling_endpoints_are_in_the_served_description(client):
    paths = client.get(reverse("talk_calls_docs:schema")).json()["paths"]
    for path, methods in PATHS.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["tags"] == ["signaling"] and operation["summary"] != "(not described)"
    pull = paths[f"{SIGNALING}/{{token}}"]["get"]["responses"]
    assert {"200", "400", "404", "409"} <= set(pull)
    send = paths[f"{SIGNALING}/{{token}}"]["post"]
    assert send["requestBody"]["content"]["application/json"]["schema"]["required"] == ["messages"]
    assert {"200", "400", "413", "429"} <= set(send["responses"])


def checked(api_description, method: str, path: str, response):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "QUERY_STRING": ""}
    validate_answer(api_description, environ, response)
    return response


@pytest.mark.django_db(transaction=True)
def test_real_answers_of_internal_signaling_validate(api_description, monkeypatch, settings):
    monkeypatch.setattr(signaling_views, "PULL_TIMEOUT", 1)
    room = RoomFactory()
    alice, bob, outsider = UserFactory(), UserFactory(), UserFactory()
    for user in (alice, bob):
        AttendeeFactory(room=room, user=user)
    path = f"{SIGNALING}/{room.token}"

    async def scenario():
        a, b, c = AsyncOCS(alice), AsyncOCS(bob), AsyncOCS(outsider)
        sa, sb = await a.join(room.token), await b.join(room.token)
        answers = [("GET", await a.pull(room.token)), ("GET", await b.pull(room.token))]
        poll = asyncio.ensure_future(b.pull(room.token))
        await asyncio.sleep(0.05)
        answers.append(("POST", await a.send(room.token, [message(sa, sb, payload={"candidate": "x"})])))
        answers.append(("GET", await poll))
        answers.append(("GET", await c.pull(room.token)))  # no session here: 404
        answers.append(("POST", await a.post(path, {"messages": "[1,"}, content_type="application/json")))
        answers.append(("POST", await a.send(room.token, [{}] * (MAX_MESSAGES_PER_REQUEST + 1))))
        return answers

    answers = run(scenario)
    for method, response in answers:
        checked(api_description, method, path, response)
    assert [(method, response.status_code) for method, response in answers] == [
        ("GET", 200), ("GET", 200), ("POST", 200), ("GET", 200), ("GET", 404), ("POST", 400), ("POST", 413),
    ]  # fmt: skip
    assert [entry["type"] for entry in data(answers[3][1])] == ["message", "usersInRoom"]

    # In external mode both methods answer the reference's 400 with the message as data.
    settings.TALK_CALLS = {"SIGNALING_SERVERS": [{"server": "http://127.0.0.1:9", "verify": False}],
                           "SIGNALING_SECRET": SECRET}  # fmt: skip

    async def external():
        a = AsyncOCS(alice)
        return [("GET", await a.pull(room.token)), ("POST", await a.send(room.token, []))]

    for method, response in run(external):
        checked(api_description, method, path, response)
        assert response.status_code == 400 and data(response) == "Internal signaling disabled."
    assert {(method.lower(), status) for _, method, status in described_answers if _ == path} >= {
        ("get", 200), ("get", 404), ("get", 400), ("post", 200), ("post", 400), ("post", 413),
    }  # fmt: skip


@pytest.mark.django_db
def test_real_answers_of_settings_and_backend_validate(settings):
    """Validated by the conftest's wrapper of the test client (``described_answers``)."""
    room = RoomFactory()
    alice = UserFactory()
    AttendeeFactory(room=room, user=alice)
    client = Client(headers={"OCS-APIRequest": "true", "Authorization": basic_header(alice.get_username())})
    internal = client.get(f"{SIGNALING}/settings", {"token": room.token})
    assert internal.status_code == 200 and json.loads(internal.content)["ocs"]["data"]["signalingMode"] == "internal"
    assert client.get(f"{SIGNALING}/settings", {"token": "nosuchroom"}).status_code == 404
    settings.TALK_CALLS = {"SIGNALING_SERVERS": [{"server": "http://127.0.0.1:9", "verify": False}],
                           "SIGNALING_SECRET": SECRET}  # fmt: skip
    external = client.get(f"{SIGNALING}/settings", {"token": room.token})
    assert json.loads(external.content)["ocs"]["data"]["signalingMode"] == "external"
    body = json.dumps({"type": "ping", "ping": {"entries": []}}).encode()
    backend = Client(headers={"OCS-APIRequest": "true", **signed_headers(SECRET, body)})
    assert backend.post(f"{SIGNALING}/backend", body, content_type="application/json").status_code == 200
    assert backend.post(f"{SIGNALING}/backend", b"[1,", content_type="application/json").status_code == 200
    assert {(path, method, status) for path, method, status in described_answers if "signaling/" in path} >= {
        (f"{SIGNALING}/settings", "get", 200),
        (f"{SIGNALING}/settings", "get", 404),
        (f"{SIGNALING}/backend", "post", 200),
    }
