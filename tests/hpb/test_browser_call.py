"""The call page in external mode, in Debian's Chromium with fake camera and microphone.

The whole system on loopback: two app servers (uvicorn processes of the demo site) on the
test's PostgreSQL database and one Redis (cache and channel layer, a key prefix of their
own), Debian's signaling server whose backend is app server 1, and coturn. The browsers
load the call page from app server 2 and make every REST call there; the page's hello
names app server 1's backend URL (``SIGNALING_BACKEND_URL``), so the signaling server asks
app server 1 about tickets, rooms and pings while the changes happen on app server 2.

One Chromium launch, three scenarios: a peer-to-peer call whose signaling the server relays,
with the checks of the internal-mode test (tests/browser/test_call.py); a call forced
through TURN (``?ice=relay``) with the credentials ``signaling/settings`` hands out; and a
call that survives a crash and restart of the signaling server (last: it replaces the
module's signaling server process).
"""

import json
import os
import time
from types import SimpleNamespace

import httpx
import pytest
from django.db import connection
from django.test import override_settings

from talk_calls.hpb.checksum import CHECKSUM_HEADER, RANDOM_HEADER
from talk_calls.hpb.config import SignalingServerConfig
from talk_calls.models import Session
from tests.browser.conftest import CHROMIUM_ARGS
from tests.factories import PASSWORD, AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import needs_tool, screenshot
from tests.signaling.servers import flush_prefix, require_redis, unique_prefix

from .conftest import SECRET
from .processes import (
    SIGNALING,
    TURNSERVER,
    free_port,
    require,
    start_app_server,
    start_coturn,
    start_signaling,
    start_signaling_from,
)

pytestmark = [pytest.mark.hpb, pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
TURN_SECRET = "hpb-browser-turn-secret"
CONNECTED_PEERS = "n => window.talkCall.peerStates().filter(p => p.connection === 'connected').length === n"
REMOTE_TILES = "n => document.querySelectorAll('.tile.remote').length === n"
PLAYING = "() => [...document.querySelectorAll('.tile.remote video')].map(v => [v.videoWidth, v.currentTime])"
SETTINGS = "/ocs/v2.php/apps/spreed/api/v3/signaling/settings"
BACKEND = "/ocs/v2.php/apps/spreed/api/v3/signaling/backend"
SELF_IDS = "() => [window.talkCall.state.selfId, window.talkCall.state.sessionId]"


def database_url() -> str:
    """Return the URL of the test database (the app servers share it with this process)."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def system(tmp_path_factory, django_db_setup):
    """Start coturn, the signaling server and two app servers; yield their URLs and the people."""
    if connection.vendor != "postgresql":
        pytest.skip("two app servers share one PostgreSQL database: covered by the PostgreSQL run")
    require(SIGNALING, TURNSERVER)
    needs_tool("chromium")
    redis_url = require_redis()
    folder = tmp_path_factory.mktemp("hpb-browser")
    prefix = unique_prefix()
    app_ports, signaling_port = [free_port(), free_port()], free_port()
    signaling_url = f"http://127.0.0.1:{signaling_port}"
    processes = []
    try:
        coturn = start_coturn(folder / "coturn", TURN_SECRET)
        processes.append(coturn)
        turn = [{"server": f"127.0.0.1:{coturn.ports['listening']}", "secret": TURN_SECRET, "protocols": "udp"}]
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TALK_", "DATABASE_URL", "CACHE_"))},
            "DATABASE_URL": database_url(),
            "DEBUG": "true",  # the demo serves the call page's static files only then
            "CACHE_URL": redis_url.replace("redis://", "rediscache://"),
            "CACHE_KEY_PREFIX": prefix,
            "CHANNEL_LAYER_URL": redis_url,
            "CHANNEL_LAYER_PREFIX": prefix,
            "TALK_SIGNALING_SERVERS": signaling_url,
            "TALK_SIGNALING_VERIFY": "false",
            "TALK_SIGNALING_SECRET": SECRET,
            "TALK_SIGNALING_BACKEND_URL": f"http://127.0.0.1:{app_ports[0]}/",
            "TALK_TURN_SERVERS": json.dumps(turn),
            "PYTHONUNBUFFERED": "1",
        }
        apps = [start_app_server(folder / f"app{i + 1}", port, env) for i, port in enumerate(app_ports)]
        processes.extend(apps)
        config = SignalingServerConfig(listen=f"127.0.0.1:{signaling_port}", backend_url=apps[0].url + "/")
        with override_settings(TALK_CALLS={"SIGNALING_SECRET": SECRET}):
            signaling = start_signaling(folder / "signaling", config)
        signaling.url = signaling_url
        processes.append(signaling)
        yield SimpleNamespace(
            app1=apps[0], app2=apps[1], signaling=signaling, coturn=coturn, folder=folder, processes=processes
        )
    finally:
        for process in reversed(processes):
            process.stop()
            print(f"--- {process.name} log (last 3000 characters)\n{process.log[-3000:]}")
        flush_prefix(prefix)


@pytest.fixture
def room(system):
    """A group room of alice (moderator), bob, carol and dave, committed for the app servers."""
    room = RoomFactory(name="HPB browser room")
    for name, moderator in (("alice", True), ("bob", False), ("carol", False), ("dave", False)):
        user = UserFactory(username=name, first_name=name.title(), last_name="Example")
        AttendeeFactory(room=room, user=user, moderator=moderator)
    return room


@pytest.fixture
def pages(room):
    """Collect the test's pages; afterwards say bye to the signaling server from each and wait
    until its leave requests removed their sessions: the app servers must be quiet before the
    test database is flushed (a TRUNCATE and a join in flight can deadlock)."""
    opened: list = []
    yield opened
    for page in opened:
        page.evaluate("window.talkCall.state.signaling && window.talkCall.state.signaling.close()")
    deadline = time.monotonic() + 10
    while Session.objects.filter(room=room).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    for page in opened:
        page.context.close()
    time.sleep(0.5)


@pytest.fixture(scope="module")
def chromium(system):
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=needs_tool("chromium"), args=[*CHROMIUM_ARGS, *MEDIA_ARGS], headless=True
            )
            try:
                yield browser
            finally:
                browser.close()


def open_page(pages, browser, server: str, token: str, username: str, query: str = ""):
    """Log ``username`` in on ``server``, open the call page of ``token`` and join the call."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    pages.append(page)
    page.goto(f"{server}/accounts/login/?next=/call/{token}/{query}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**/call/{token}/**")
    page.click("#join-call")
    try:
        page.wait_for_selector("#controls:not([hidden]), #error:not([hidden])", timeout=45_000)
    except Exception:
        screenshot(page, f"hpb-call-join-timeout-{username}")
        raise AssertionError(f"{username} still joining; status: {page.inner_text('#status')}")
    if page.is_visible("#error"):
        screenshot(page, f"hpb-call-join-failed-{username}")
        raise AssertionError(f"{username} could not join: {page.inner_text('#error')}")
    assert page.get_attribute("#talk-call", "data-signaling") == "external"
    return page


def assert_remote_videos_play(page, count: int) -> None:
    page.wait_for_function(CONNECTED_PEERS, arg=count)
    page.wait_for_function(
        "n => { const v = [...document.querySelectorAll('.tile.remote video')];"
        " return v.length === n && v.every(x => x.videoWidth > 0 && x.currentTime > 0); }",
        arg=count,
    )
    before = page.evaluate(PLAYING)
    time.sleep(0.8)
    after = page.evaluate(PLAYING)
    assert all(later[1] > earlier[1] for earlier, later in zip(before, after, strict=True)), (before, after)


def in_call(system, room) -> list[str]:
    response = httpx.get(
        f"{system.app1.url}/ocs/v2.php/apps/spreed/api/v4/call/{room.token}",
        auth=("alice", PASSWORD),
        headers={"OCS-APIRequest": "true"},
        timeout=30,  # a Basic check hashes the password: slow on a loaded machine
    )
    return sorted(p["actorId"] for p in response.json()["ocs"]["data"])


def test_two_people_call_through_the_signaling_server_on_two_app_servers(system, chromium, room, pages):
    token = room.token
    # The browsers' REST calls go to app server 2; the signaling server's backend is app server 1.
    settings = httpx.get(f"{system.app2.url}{SETTINGS}", params={"token": token}, auth=("alice", PASSWORD),
                         headers={"OCS-APIRequest": "true"}).json()["ocs"]["data"]  # fmt: skip
    assert settings["signalingMode"] == "external" and settings["server"] == system.signaling.url
    alice = open_page(pages, chromium, system.app2.url, token, "alice")
    # The page's hello names app server 1's backend: the signaling server accepts no other.
    assert alice.get_attribute("#talk-call", "data-backend-url") == system.app1.url + BACKEND
    bob = open_page(pages, chromium, system.app2.url, token, "bob")
    for page in (alice, bob):
        assert_remote_videos_play(page, 1)
    assert alice.locator(".tile.remote .name").all_inner_texts() == ["Bob Example"]
    assert bob.locator(".tile.remote .name").all_inner_texts() == ["Alice Example"]
    assert in_call(system, room) == ["alice", "bob"]
    # Peer to peer: the selected candidate pairs are not relayed.
    pairs = alice.evaluate("window.talkCall.selectedCandidates()")
    assert [pair["local"] for pair in pairs] != ["relay"], pairs
    # Peer ids are the signaling server's session ids, not Talk's.
    talk_session = alice.evaluate("window.talkCall.state.sessionId")
    assert alice.evaluate("window.talkCall.state.selfId") not in (talk_session, None)
    screenshot(alice, "hpb-call-alice")

    # Bob stops his video: alice's tile of bob says so (a "mute" message relayed by the server).
    bob.click("#toggle-video")
    alice.wait_for_selector(".tile.remote[data-video='off']")

    # Carol joins and leaves: the others see her come and go.
    carol = open_page(pages, chromium, system.app2.url, token, "carol")
    for page in (alice, bob, carol):
        page.wait_for_function(REMOTE_TILES, arg=2)
        page.wait_for_function(CONNECTED_PEERS, arg=2)
    started = time.monotonic()
    carol.click("#leave-call")
    for page in (alice, bob):
        page.wait_for_function(REMOTE_TILES, arg=1, timeout=5_000)
    assert time.monotonic() - started < 5
    assert carol.evaluate("window.talkCall.peerStates().length") == 0

    # Alice (moderator) ends the call for everyone: every page shows it.
    alice.click("#end-call")
    bob.wait_for_selector("#status:has-text('The call ended.')")
    alice.wait_for_selector("#status:has-text('You ended the call for everyone.')")
    assert bob.evaluate("window.talkCall.peerStates().length") == 0
    assert in_call(system, room) == []
    screenshot(bob, "hpb-call-ended-bob")


def test_the_signaling_backend_throttle_counts_across_app_servers(system):
    """Ten bad checksums on app server 1; the next request on app server 2 is refused with 429.

    They come from 127.0.0.2: the throttle counts per client address, and the signaling
    server's own requests (from 127.0.0.1) must go on.
    """
    body = json.dumps({"type": "ping", "ping": {"entries": []}}).encode()
    headers = {"Content-Type": "application/json", RANDOM_HEADER: "r" * 64, CHECKSUM_HEADER: "0" * 64}
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10) as client:
        answers = [client.post(system.app1.url + BACKEND, content=body, headers=headers) for _ in range(10)]
        assert [a.json()["ocs"]["data"]["error"]["code"] for a in answers] == ["invalid_request"] * 10
        assert client.post(system.app2.url + BACKEND, content=body, headers=headers).status_code == 429


def test_a_call_forced_through_turn(system, chromium, room, pages):
    dave = open_page(pages, chromium, system.app2.url, room.token, "dave", "?ice=relay")
    carol = open_page(pages, chromium, system.app2.url, room.token, "carol", "?ice=relay")
    for page in (dave, carol):
        assert_remote_videos_play(page, 1)
        pairs = page.evaluate("window.talkCall.selectedCandidates()")
        assert [(pair["local"], pair["remote"]) for pair in pairs] == [("relay", "relay")], pairs
    screenshot(dave, "hpb-call-turn-dave")
    dave.click("#leave-call")
    carol.click("#leave-call")


@pytest.mark.parametrize("stop", ["crash", "stop"])
def test_a_call_survives_a_crash_and_restart_of_the_signaling_server(system, chromium, room, pages, stop):
    """The signaling server dies (``crash``: SIGKILL; ``stop``: SIGTERM, as a service
    restart) and comes back on the same port with the same config: both pages reconnect
    with backoff; the server forgot their sessions, so each
    says hello afresh with a new ticket, joins the room and the call with a new Talk
    session, and sets up its peer connection again. Both see each other in the page and
    in ``GET /call`` (once each: the old sessions are gone), and video flows again."""
    alice = open_page(pages, chromium, system.app2.url, room.token, "alice")
    bob = open_page(pages, chromium, system.app2.url, room.token, "bob")
    for page in (alice, bob):
        assert_remote_videos_play(page, 1)
    before = {name: page.evaluate(SELF_IDS) for name, page in (("alice", alice), ("bob", bob))}

    getattr(system.signaling, stop)()
    for page in (alice, bob):
        page.wait_for_selector("#status:has-text('Lost connection to the signaling server')")
    port = system.signaling.ports["http"]
    restarted = start_signaling_from(
        system.folder / f"signaling-{stop}", system.folder / "signaling" / "server.conf", port
    )
    restarted.url = system.signaling.url
    system.processes.append(restarted)
    system.signaling = restarted

    for name, page in (("alice", alice), ("bob", bob)):
        # A new signaling session and a new Talk session, back in the call.
        page.wait_for_function(
            "old => { const s = window.talkCall.state; return s.inCall && s.selfId && s.selfId !== old[0]"
            " && s.sessionId !== old[1]; }",
            arg=before[name],
            timeout=45_000,
        )
        page.wait_for_selector("#status:has-text('In the call.')")
        page.wait_for_function(REMOTE_TILES, arg=1)
    for page in (alice, bob):
        assert_remote_videos_play(page, 1)
    assert alice.locator(".tile.remote .name").all_inner_texts() == ["Bob Example"]
    assert bob.locator(".tile.remote .name").all_inner_texts() == ["Alice Example"]
    assert alice.evaluate("window.talkCall.state.users.size") == 2
    assert in_call(system, room) == ["alice", "bob"]
    screenshot(alice, "hpb-call-after-restart-alice")
    alice.click("#leave-call")
    bob.click("#leave-call")
