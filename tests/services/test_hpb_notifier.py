"""Notifications to the signaling server (talk-signaling.md section C5): what goes out after
commit for each change, signed, and that an outage never fails or slows the API.

A small HTTP server on a free loopback port stands in for the signaling server here; the
real Debian binary receives them in ``tests/hpb/test_protocol.py``.
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from talk_calls.constants import InCallFlag, Permission
from talk_calls.hpb.checksum import checksum
from talk_calls.hpb.notifier import Notification, Sender, sender
from talk_calls.hpb.servers import SignalingServer
from tests.factories import AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import OCSClient, call_url, in_call, in_room, room_url

SECRET = "notifier-test-secret-0123456789"


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(self.server.delay)
        self.server.received.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Spreed-Signaling-Features", "audio-video-permissions")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def hpb(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received, server.status, server.delay = [], 200, 0
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.TALK_CALLS = {
        "SIGNALING_SERVERS": [{"server": f"http://127.0.0.1:{server.server_address[1]}", "verify": True}],
        "SIGNALING_SECRET": SECRET,
        "SIGNALING_BACKEND_URL": "http://testserver/",
    }

    def messages(kind=None):
        assert sender.flush(10)
        found = []
        for path, headers, body in server.received:
            assert headers["Spreed-Signaling-Checksum"] == checksum(SECRET, headers["Spreed-Signaling-Random"], body)
            assert headers["Spreed-Signaling-Backend"] == "http://testserver/"
            message = json.loads(body)
            if kind is None or message["type"] == kind:
                found.append((path, message[message["type"]]))
        return found

    server.messages = messages
    yield server
    sender.flush(10)
    server.shutdown()
    server.server_close()


def test_joining_a_call_sends_incall_with_changed_and_users(db, hpb, django_capture_on_commit_callbacks):
    room = RoomFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first, alice = in_call(room)
        _, bob = in_room(room)
    incall = hpb.messages("incall")
    path, last = incall[-1]
    assert path == f"/api/v1/room/{room.token}"
    (changed,) = last["changed"]
    assert changed["actorId"] == bob.actor_id and changed["inCall"] == 0
    joined = [
        m for _, m in incall if m["incall"] == int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO)
    ]
    assert joined and joined[0]["changed"][0]["userId"] == alice.actor_id
    assert [u["actorId"] for u in last["users"]] == [alice.actor_id]
    assert last["users"][0]["sessionId"] == last["users"][0]["nextcloudSessionId"]


def test_end_for_everyone_lists_every_session_out_of_the_call(db, hpb, django_capture_on_commit_callbacks):
    room = RoomFactory()
    moderator, _ = in_call(room, moderator=True)
    in_call(room)
    hpb.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.ocs("DELETE", call_url(room.token), {"all": True})
    assert response.status_code == 200
    ((_, ended),) = hpb.messages("incall")
    assert ended["incall"] == 0 and ended["users"] == []
    assert len(ended["changed"]) == 2 and {c["inCall"] for c in ended["changed"]} == {0}
    assert "all" not in ended  # 0.4.1 does not know it


def test_removing_an_attendee_disinvites_the_user_and_the_sessions(db, hpb, django_capture_on_commit_callbacks):
    room = RoomFactory()
    owner = AttendeeFactory(room=room, owner=True)
    _, bob = in_room(room)
    session_id = bob.sessions.get().session_id
    with django_capture_on_commit_callbacks(execute=True):
        response = OCSClient(owner.user).ocs("DELETE", room_url(room.token, "/attendees"), {"attendeeId": bob.pk})
    assert response.status_code == 200
    ((_, disinvite),) = hpb.messages("disinvite")
    assert disinvite["userids"] == [bob.actor_id] and disinvite["sessionids"] == [session_id]
    assert disinvite["alluserids"] == [owner.actor_id]
    assert disinvite["properties"]["participant-list"] == "refresh"


def test_permission_changes_send_participants_with_permission_names(db, hpb, django_capture_on_commit_callbacks):
    room = RoomFactory()
    owner = AttendeeFactory(room=room, owner=True)
    _, bob = in_room(room)
    audio_only = int(Permission.PUBLISH_AUDIO)
    with django_capture_on_commit_callbacks(execute=True):
        response = OCSClient(owner.user).ocs(
            "PUT",
            room_url(room.token, "/attendees/permissions"),
            {"attendeeId": bob.pk, "method": "set", "permissions": audio_only},
        )
    assert response.status_code == 200
    ((_, participants),) = hpb.messages("participants")
    (changed,) = participants["changed"]
    assert changed["permissions"] == ["publish-audio"]
    assert changed["participantPermissions"] == audio_only | Permission.CUSTOM


def test_room_changes_send_invite_update_and_delete(db, hpb, django_capture_on_commit_callbacks):
    room = RoomFactory(name="Before")
    owner = AttendeeFactory(room=room, owner=True)
    newcomer = UserFactory()
    client = OCSClient(owner.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.ocs("POST", room_url(room.token, "/participants"), {"newParticipant": newcomer.get_username()})
    with django_capture_on_commit_callbacks(execute=True):
        client.ocs("PUT", room_url(room.token), {"roomName": "After"})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.ocs("DELETE", room_url(room.token)).status_code == 200
    hpb.messages()
    assert [json.loads(body)["type"] for _, _, body in hpb.received] == ["invite", "update", "delete"]
    ((_, invite),) = hpb.messages("invite")
    assert invite["userids"] == [newcomer.get_username()]
    assert sorted(invite["alluserids"]) == sorted([owner.actor_id, newcomer.get_username()])
    ((_, update),) = hpb.messages("update")
    assert update["properties"]["name"] == "After"
    ((_, delete),) = hpb.messages("delete")
    assert sorted(delete["userids"]) == sorted([owner.actor_id, newcomer.get_username()])


def test_internal_mode_sends_nothing(db, hpb, settings, django_capture_on_commit_callbacks):
    settings.TALK_CALLS = {}
    with django_capture_on_commit_callbacks(execute=True):
        in_call(RoomFactory())
    assert hpb.messages() == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_signaling_server_neither_fails_nor_slows_the_api(
    db, settings, caplog, django_capture_on_commit_callbacks
):
    settings.TALK_CALLS = {
        "SIGNALING_SERVERS": [{"server": f"http://127.0.0.1:{_closed_port()}", "verify": True}],
        "SIGNALING_SECRET": SECRET,
    }
    room = RoomFactory()
    failed = sender.failed
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        client, _ = in_call(room)
        response = client.ocs("DELETE", call_url(room.token))
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 1.0  # the three attempts with their pauses run in the sender's thread
    assert sender.flush(20)
    assert sender.failed > failed
    assert "unreachable" in caplog.text


def test_server_errors_are_retried_and_logged(db, hpb, caplog, django_capture_on_commit_callbacks):
    hpb.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        in_room(RoomFactory())
    assert sender.flush(20)
    assert len(hpb.received) == 3
    assert "HTTP 503" in caplog.text


def test_a_full_queue_drops_notifications_with_a_warning(hpb, settings, caplog):
    hpb.delay = 0.5
    small = Sender(maxsize=1)
    server = SignalingServer(settings.TALK_CALLS["SIGNALING_SERVERS"][0]["server"])
    accepted = [small.submit(Notification(server=server, token="abcd", body=b"{}")) for _ in range(5)]
    assert accepted.count(True) <= 2 and small.dropped >= 3
    assert "queue full" in caplog.text
    assert small.flush(10)
    assert small.sent == accepted.count(True)
