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
from tests.browser.conftest import CHROMIUM_ARGS
from tests.factories import PASSWORD, AttendeeFactory, RoomFactory
from tests.helpers import call_url, needs_tool, screenshot

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


def test_calls_through_janus_in_a_network_namespace(tmp_path):
    """Run the calls below in a network namespace of their own: Janus offers no loopback ICE
    candidates, and the media must not touch the machine's real interfaces."""
    # The namespace's run uses an SQLite database of its own, whatever this run's database
    # (make test runs the hpb tests once, in the PostgreSQL run when there is one).
    require(JANUS, SIGNALING)
    needs_tool("chromium")
    nodes = [f"{__file__}::test_three_people_call_through_janus", f"{__file__}::test_the_call_page_through_janus"]
    result = run_in_network_namespace(nodes, tmp_path)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout, result.stdout[-3000:]


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


@pytest.mark.skipif(not in_network_namespace(), reason="runs inside the network namespace the test above makes")
def test_the_call_page_through_janus(mcu_signaling, live_server, monkeypatch):
    """Two Chromium pages in one call through the MCU: each publishes its camera once (as
    "screen": 0.4.1 sends no welcome) and subscribes to the other's; both remote videos play."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    room = RoomFactory(name="MCU page room")
    people = [AttendeeFactory(room=room, moderator=True), AttendeeFactory(room=room)]
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=needs_tool("chromium"), args=args, headless=True)
        try:
            pages = []
            for attendee in people:
                page = browser.new_context().new_page()
                page.set_default_timeout(30_000)
                page.goto(f"{live_server.url}/accounts/login/?next=/call/{room.token}/")
                page.fill("#id_username", attendee.user.get_username())
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit]")
                page.wait_for_url(f"**/call/{room.token}/")
                page.click("#join-call")
                page.wait_for_selector("#controls:not([hidden])")
                pages.append(page)
            for page in pages:
                assert page.get_attribute("#talk-call", "data-mcu") == "true"
                # One publisher and one subscriber, both connected to Janus; the remote video plays.
                page.wait_for_function(
                    "() => { const p = window.talkCall.peerStates();"
                    " return p.length === 2 && p.every(x => x.connection === 'connected'); }"
                )
                roles = sorted((p["role"], p["roomType"]) for p in page.evaluate("window.talkCall.peerStates()"))
                assert roles == [("publisher", "screen"), ("subscriber", "screen")]
                page.wait_for_function(
                    "() => { const v = [...document.querySelectorAll('.tile.remote video')];"
                    " return v.length === 1 && v[0].videoWidth > 0 && v[0].currentTime > 0; }"
                )
            screenshot(pages[0], "hpb-mcu-page")
            pages[0].click("#end-call")
            pages[1].wait_for_selector("#status:has-text('The call ended.')")
        finally:
            browser.close()
