"""Calls through Janus, the MCU of Debian's signaling server 0.4.1 (talk-signaling.md E2).

Debian's build refuses every ``offer`` of stream type "video": its patched
``isSdpAllowedToSendLocked`` asserts ``payload["sdp"].([]byte)`` (it calls pion/sdp's
``Unmarshal([]byte)``), and a JSON string never decodes to ``[]byte`` (docs/DEPLOYMENT.md has
the disassembly). Stream type "screen" skips that check (``checkOfferTypeLocked``), so a
publisher that sends its camera as "screen" goes through Janus.

Three users join a call; each publishes audio and video to Janus with an ``offer`` to their
own signaling session and subscribes to the two others with ``requestoffer``; every
subscriber must receive video frames from each publisher. aiortc plays the browsers.
"""

import pytest

from talk_calls.constants import InCallFlag
from tests.factories import AttendeeFactory, RoomFactory
from tests.helpers import call_url

from .media import Peer
from .processes import JANUS, SIGNALING, in_network_namespace, require, run_in_network_namespace
from .signaling_client import is_participants_update, participants_update
from .test_protocol import connect

pytestmark = [pytest.mark.hpb, pytest.mark.django_db(transaction=True)]

JOINED = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO)


def is_data(kind, sender=None):
    def predicate(message):
        if message.get("type") != "message":
            return False
        data = message["message"].get("data") or {}
        return data.get("type") == kind and (sender is None or data.get("from") == sender)

    return predicate


def mcu_message(ws, recipient, kind, payload=None, room_type="screen"):
    data = {"to": recipient, "type": kind, "roomType": room_type}
    if payload is not None:
        data["payload"] = payload
    ws.message(recipient, data)


def add_candidates(ws, peer, sender, *, first_within=5.0, quiet=0.3):
    """Feed ``peer`` the candidates Janus trickles for it ("candidate" messages from ``sender``):
    wait for the first, then take the others until none came for ``quiet`` seconds (0.4.1
    never signals the end of candidates)."""
    timeout = first_within
    while True:
        try:
            message = ws.expect(is_data("candidate", sender), timeout=timeout)
        except AssertionError:
            return
        peer.add_candidate(message["message"]["data"]["payload"]["candidate"])
        timeout = quiet


def join_call(room, attendees, mcu_signaling, live_server):
    """Return ``[(rest client, signaling client)]`` once every attendee is in the call and
    every client saw all of them in it (the MCU only lets sessions of one call subscribe)."""
    clients = []
    for attendee in attendees:
        rest, ws, _ = connect(mcu_signaling, live_server, attendee)
        assert "mcu" in ws.features, ws.features
        clients.append((rest, ws))
    # Everyone joins the call first: the MCU lets only sessions in the same call subscribe.
    for rest, _ in clients:
        assert rest.ocs("POST", call_url(room.token), {"flags": JOINED}).status_code == 200
    ids = {ws.session_id for _, ws in clients}
    for _, ws in clients:
        ws.expect(
            lambda m: (
                is_participants_update(m)
                and {u["sessionId"] for u in participants_update(m).get("users", []) if u.get("inCall") == JOINED}
                == ids
            ),
            timeout=10,
        )
    return clients


def test_debian_041_refuses_video_offers(mcu_signaling, live_server, media):
    room = RoomFactory()
    ((_, ws),) = join_call(room, [AttendeeFactory(room=room)], mcu_signaling, live_server)
    peer = Peer(media)
    try:
        mcu_message(ws, ws.session_id, "offer", {"type": "offer", "sdp": peer.publish()}, room_type="video")
        refused = ws.expect(lambda m: m.get("type") == "error", timeout=10)
        assert refused["error"]["code"] == "not_allowed"
        assert "payload does not contain a valid sdp" in mcu_signaling.log
    finally:
        peer.close()
        ws.close()


def test_three_people_call_through_janus_in_a_network_namespace(tmp_path):
    """Run the call below in a network namespace of its own: Janus offers no loopback ICE
    candidates, and the media must not touch the machine's real interfaces."""
    require(JANUS, SIGNALING)
    result = run_in_network_namespace(f"{__file__}::test_three_people_call_through_janus", tmp_path)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout, result.stdout[-3000:]


@pytest.mark.skipif(not in_network_namespace(), reason="runs inside the network namespace the test above makes")
def test_three_people_call_through_janus(mcu_signaling, live_server, media):
    room = RoomFactory(name="MCU room")
    attendees = [AttendeeFactory(room=room, moderator=(i == 0)) for i in range(3)]
    clients = join_call(room, attendees, mcu_signaling, live_server)
    ids = {ws.session_id for _, ws in clients}
    publishers, subscribers = {}, []
    try:
        for _, ws in clients:
            peer = Peer(media)
            publishers[ws.session_id] = peer
            # aiortc puts every candidate in the SDP: "trickle": false tells Janus not to wait for more.
            mcu_message(ws, ws.session_id, "offer", {"type": "offer", "sdp": peer.publish(), "trickle": False})
            answer = ws.expect(is_data("answer"), timeout=15)
            peer.accept_answer(answer["message"]["data"]["payload"]["sdp"])
            add_candidates(ws, peer, ws.session_id)
        for _, ws in clients:
            for publisher in sorted(ids - {ws.session_id}):
                mcu_message(ws, publisher, "requestoffer")
                offer = ws.expect(is_data("offer", publisher), timeout=15)
                peer = Peer(media)
                subscribers.append(peer)
                mcu_message(
                    ws,
                    publisher,
                    "answer",
                    {"type": "answer", "sdp": peer.subscribe(offer["message"]["data"]["payload"]["sdp"])},
                )
                # Janus may have trickled them with its offer already; ICE also finds it without.
                add_candidates(ws, peer, publisher, first_within=1.0)
        for _, ws in clients:
            add_candidates(ws, publishers[ws.session_id], ws.session_id)
        for peer in subscribers:
            assert peer.wait_for_video() > 0
    finally:
        for peer in [*publishers.values(), *subscribers]:
            peer.close()
        for _, ws in clients:
            ws.close()
