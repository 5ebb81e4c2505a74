"""Several Debian signaling servers in ``conversation_cluster`` mode (talk-signaling.md E2:
0.4.1 must not be clustered over NATS, so each server runs alone and every room is pinned
to one of them). Rooms spread over both servers; each room's clients connect to its
server, and a call in each room works at the same time."""

from types import SimpleNamespace

import pytest

from talk_calls.hpb.config import SignalingServerConfig
from talk_calls.hpb.servers import server_for_room
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import call_url

from .conftest import SECRET
from .processes import free_port, start_signaling
from .signaling_client import is_participants_update
from .test_protocol import JOINED, connect, in_call_flags

pytestmark = [pytest.mark.hpb, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_servers(settings, live_server, tmp_path):
    ports = [free_port(), free_port()]
    settings.TALK_CALLS = {
        "SIGNALING_SERVERS": [{"server": f"http://127.0.0.1:{port}", "verify": False} for port in ports],
        "SIGNALING_SECRET": SECRET,
        "SIGNALING_MODE": "conversation_cluster",
    }
    processes = []
    for index, port in enumerate(ports):
        config = SignalingServerConfig(listen=f"127.0.0.1:{port}", backend_url=live_server.url + "/")
        processes.append(start_signaling(tmp_path / f"signaling{index}", config))
    yield {f"http://127.0.0.1:{port}": process for port, process in zip(ports, processes, strict=True)}
    for process in processes:
        process.stop()


def test_rooms_are_pinned_to_one_server_each_and_calls_run_on_both(two_servers, live_server):
    rooms, seen = [], set()
    while len(seen) < 2:  # tokens are random: make rooms until each server has one
        room = RoomFactory()
        url = server_for_room(room.token).url
        if url not in seen:
            seen.add(url)
            rooms.append((room, url))
    calls = []
    for room, url in rooms:
        alice, bob = AttendeeFactory(room=room), AttendeeFactory(room=room)
        alice_rest, alice_ws, _ = connect(SimpleNamespace(url=url), live_server, alice)
        _, bob_ws, _ = connect(SimpleNamespace(url=url), live_server, bob)
        calls.append((room, alice_rest, alice_ws, bob_ws))
    for room, alice_rest, _, _ in calls:
        assert alice_rest.ocs("POST", call_url(room.token), {"flags": JOINED}).status_code == 200
    for _, _, alice_ws, bob_ws in calls:
        update = bob_ws.expect(
            lambda m, alice_ws=alice_ws: (
                is_participants_update(m) and in_call_flags(m).get(alice_ws.session_id) == JOINED
            )
        )
        assert update["event"]["update"]["roomid"]
    for _, _, alice_ws, bob_ws in calls:
        alice_ws.close()
        bob_ws.close()
    # Each server only ever saw its own room.
    for (room, url), (other, _) in zip(rooms, reversed(rooms), strict=True):
        log = two_servers[url].log
        assert room.token in log and other.token not in log
