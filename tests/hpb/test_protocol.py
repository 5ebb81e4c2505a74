"""The Debian signaling server 0.4.1 against the app (talk-signaling.md sections C, E): two
WebSocket clients say hello with v1 tickets and join a room, the server calls the app's
backend (auth, room, ping: seen in the database), and the app's notifications reach the
clients (a call joined, ended for everyone, an attendee removed)."""

import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from talk_calls.constants import InCallFlag
from talk_calls.hpb.checksum import CHECKSUM_HEADER, RANDOM_HEADER
from talk_calls.models import Session
from talk_calls.signaling.tickets import make_ticket
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import call_url, room_url, user_client

from .signaling_client import SignalingClient, is_participants_update, participants_update

pytestmark = [pytest.mark.hpb, pytest.mark.django_db(transaction=True)]

SETTINGS = "/ocs/v2.php/apps/spreed/api/v3/signaling/settings"
JOINED = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO)


def connect(signaling, live_server, attendee):
    """Join the room over REST (a Talk session), read ``signaling/settings``, then hello with
    its ticket + room join over the WebSocket of ``signaling`` (anything with its ``url``)."""
    client = user_client(attendee.user)
    response = client.join_room(attendee.room.token)
    assert response.status_code == 200, response.content
    talk_session_id = response.json()["ocs"]["data"]["sessionId"]
    # Age the session so that the signaling server's room join visibly refreshes it.
    Session.objects.filter(session_id=talk_session_id).update(last_ping=timezone.now() - timedelta(seconds=25))
    # The client learns the server and its hello ticket from signaling/settings (external mode).
    settings = client.get(SETTINGS, {"token": attendee.room.token}).json()["ocs"]["data"]
    assert settings["signalingMode"] in ("external", "conversation_cluster")
    assert settings["server"] == signaling.url
    auth = settings["helloAuthParams"]["1.0"]
    ws = SignalingClient(settings["server"], live_server.url)
    hello = ws.hello(auth["userid"], auth["ticket"])
    assert hello["userid"] == attendee.actor_id
    joined = ws.join(attendee.room.token, talk_session_id)
    assert joined["type"] == "room" and joined["room"]["roomid"] == attendee.room.token, joined
    return client, ws, talk_session_id


def in_call_flags(message) -> dict:
    return {user["sessionId"]: user["inCall"] for user in participants_update(message).get("users", [])}


def fresh(session_id, seconds=5):
    return timezone.now() - Session.objects.get(session_id=session_id).last_ping < timedelta(seconds=seconds)


def test_two_clients_hold_a_call_through_the_signaling_server(signaling, live_server):
    room = RoomFactory(name="HPB room")
    alice = AttendeeFactory(room=room, moderator=True)
    bob = AttendeeFactory(room=room)
    alice_rest, alice_ws, alice_sid = connect(signaling, live_server, alice)
    bob_rest, bob_ws, bob_sid = connect(signaling, live_server, bob)
    assert fresh(alice_sid) and fresh(bob_sid)  # the server's "room" requests reached our backend
    assert "audio-video-permissions" in alice_ws.features

    # Alice joins the call: Bob's client sees her in the call, with the server's session id.
    assert alice_rest.ocs("POST", call_url(room.token), {"flags": JOINED}).status_code == 200
    update = participants_update(
        bob_ws.expect(
            lambda m: (
                is_participants_update(m)
                and any(u.get("inCall") == JOINED for u in participants_update(m).get("users", []))
            )
        )
    )
    (in_call,) = [u for u in update["users"] if u["inCall"] == JOINED]
    assert in_call["nextcloudSessionId"] == alice_sid
    assert in_call["sessionId"] == alice_ws.session_id
    assert in_call["userId"] == alice.actor_id

    # Bob joins too; then the moderator ends the call for everyone: both clients see both
    # sessions out of the call (0.4.1 merges the "changed" entries into "users").
    assert bob_rest.ocs("POST", call_url(room.token), {"flags": JOINED}).status_code == 200
    alice_ws.expect(
        lambda m: (
            is_participants_update(m) and in_call_flags(m) == {alice_ws.session_id: JOINED, bob_ws.session_id: JOINED}
        )
    )
    assert alice_rest.ocs("DELETE", call_url(room.token), {"all": True}).status_code == 200
    for ws in (alice_ws, bob_ws):
        ws.expect(
            lambda m: is_participants_update(m) and in_call_flags(m) == {alice_ws.session_id: 0, bob_ws.session_id: 0}
        )

    # Removing Bob from the room disinvites his client.
    owner_remove = alice_rest.ocs("DELETE", room_url(room.token, "/attendees"), {"attendeeId": bob.pk})
    assert owner_remove.status_code == 200
    disinvite = bob_ws.expect(lambda m: m.get("type") == "event" and m["event"].get("type") == "disinvite")
    assert disinvite["event"]["disinvite"]["roomid"] == room.token

    # The server pings the sessions of its rooms every 10 s: Alice's ping lands in our database.
    Session.objects.filter(session_id=alice_sid).update(last_ping=timezone.now() - timedelta(seconds=25))
    deadline = time.monotonic() + 15
    while not fresh(alice_sid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert fresh(alice_sid)
    alice_ws.close()
    bob_ws.close()


def test_a_wrong_ticket_is_refused(signaling, live_server):
    room = RoomFactory()
    alice = AttendeeFactory(room=room)
    ws = SignalingClient(signaling.url, live_server.url)
    message_id = ws.send(
        {
            "type": "hello",
            "hello": {
                "version": "1.0",
                "auth": {"url": ws.backend_url, "params": {"userid": alice.actor_id, "ticket": make_ticket("someone")}},
            },
        }
    )
    answer = ws.answer(message_id)
    assert answer["type"] == "error", answer
    ws.close()


def test_bad_checksums_are_refused_both_ways(signaling, live_server):
    room = RoomFactory()
    body = json.dumps({"type": "message", "message": {"data": {"type": "chat"}}}).encode()
    headers = {"Content-Type": "application/json", RANDOM_HEADER: "x" * 64, CHECKSUM_HEADER: "0" * 64}
    to_server = urllib.request.Request(f"{signaling.url}/api/v1/room/{room.token}", data=body, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(to_server, timeout=5)
    assert refused.value.code == 403
    to_app = urllib.request.Request(
        f"{live_server.url}/ocs/v2.php/apps/spreed/api/v3/signaling/backend",
        data=json.dumps({"type": "ping", "ping": {"entries": []}}).encode(),
        headers=headers,
    )
    with urllib.request.urlopen(to_app, timeout=5) as response:
        assert json.loads(response.read())["ocs"]["data"]["error"]["code"] == "invalid_request"
