"""The call page in Debian's Chromium with fake camera and microphone: a real video call.

Two scenarios on one uvicorn process of the demo (the in-memory channel layer of
``make demo``). A call: alice (logged in) and a guest join the public room's call from the
call page; their peer connections connect and the remote videos play; the guest stops
video and alice sees it; bob joins and everyone sees two remote videos; bob leaves and the
others drop him within 5 s; alice ends the call for everyone and every page says so.
A blip (issue 9): the guest's polls fail for a while and are retried with backoff while
the call goes on; then the guest's Talk session is removed on the server (as the cleanup
does to a session that stopped pinging), the next poll answers 404, and the page rejoins
the room and the call with a new session: both see each other again and video flows.
"""

import sqlite3
import time

import httpx
import pytest
from django.db import connection

from project.demo_info import LOGINS
from tests.browser.conftest import CHROMIUM_ARGS
from tests.helpers import needs_tool, screenshot
from tests.signaling.servers import asgi_servers, make_demo_database

pytestmark = [pytest.mark.browser, pytest.mark.live]
PASSWORDS = {name: password for name, password, _ in LOGINS}
TOKEN = "demopublic"
ALICE = "Alice Andersen"  # alice's full name in fixtures/demo.json
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

CONNECTED_PEERS = "n => window.talkCall.peerStates().filter(p => p.connection === 'connected').length === n"
REMOTE_TILES = "n => document.querySelectorAll('.tile.remote').length === n"
PLAYING = """() => [...document.querySelectorAll('.tile.remote video')].map(v => [v.videoWidth, v.currentTime])"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """The server's demo SQLite file (the tests read and change it as an operator could)."""
    if connection.vendor != "sqlite":
        pytest.skip("the server runs on a demo SQLite file of its own: covered by the SQLite run")
    needs_tool("chromium")
    return make_demo_database(tmp_path_factory.mktemp("browser-call"))


@pytest.fixture(scope="module")
def server(database):
    with asgi_servers(database, 1) as (url,):
        yield url


@pytest.fixture
def chromium(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=needs_tool("chromium"), args=[*CHROMIUM_ARGS, *MEDIA_ARGS], headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, server, username=None):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    if username:
        page.goto(f"{server}/accounts/login/?next=/call/{TOKEN}/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORDS[username])
        page.click("input[type=submit]")
        page.wait_for_url(f"**/call/{TOKEN}/")
    else:
        page.goto(f"{server}/call/{TOKEN}/")
        page.fill("#guest-name", "Gina Guest")
    page.click("#join-call")
    try:
        # A join is a login, a room join, the camera and the call join: allow for a loaded machine.
        page.wait_for_selector("#controls:not([hidden]), #error:not([hidden])", timeout=45_000)
    except Exception:
        screenshot(page, f"call-join-timeout-{username or 'guest'}")
        raise AssertionError(f"{username or 'guest'} still joining; status: {page.inner_text('#status')}")
    if page.is_visible("#error"):
        screenshot(page, f"call-join-failed-{username or 'guest'}")
        raise AssertionError(f"{username or 'guest'} could not join: {page.inner_text('#error')}")
    return page


def assert_remote_videos_play(page, count):
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


def in_call(server):
    response = httpx.get(
        f"{server}/ocs/v2.php/apps/spreed/api/v4/call/{TOKEN}",
        auth=("alice", PASSWORDS["alice"]),
        headers={"OCS-APIRequest": "true"},
    )
    return sorted(p["actorType"] + ":" + p["displayName"] for p in response.json()["ocs"]["data"])


def names(page):
    return sorted(page.locator(".tile.remote .name").all_inner_texts())


def test_two_then_three_people_hold_a_video_call(server, chromium):
    alice = open_page(chromium, server, "alice")
    guest = open_page(chromium, server)
    for page in (alice, guest):
        assert_remote_videos_play(page, 1)
    assert names(alice) == ["Gina Guest"]
    assert names(guest) == [ALICE]
    assert in_call(server) == ["guests:Gina Guest", f"users:{ALICE}"]
    screenshot(alice, "call-two-alice")
    screenshot(guest, "call-two-guest")

    # The guest stops video: alice's tile of the guest says so.
    guest.click("#toggle-video")
    alice.wait_for_selector(".tile.remote[data-video='off']")

    # Bob joins: everyone sees two remote videos.
    bob = open_page(chromium, server, "bob")
    for page in (alice, guest, bob):
        page.wait_for_function(REMOTE_TILES, arg=2)
        page.wait_for_function(CONNECTED_PEERS, arg=2)
    assert_remote_videos_play(bob, 2)
    assert names(bob) == sorted(["Gina Guest", ALICE])
    # Bob joined after the guest stopped video: her flags tell him.
    bob.wait_for_selector(".tile.remote[data-video='off']")
    screenshot(bob, "call-three-bob")

    # Bob leaves: the others drop his tile within 5 s.
    started = time.monotonic()
    bob.click("#leave-call")
    for page in (alice, guest):
        page.wait_for_function(REMOTE_TILES, arg=1, timeout=5_000)
    assert time.monotonic() - started < 5
    assert bob.evaluate("window.talkCall.peerStates().length") == 0

    # Alice (moderator) ends the call for everyone: every page shows it.
    alice.click("#end-call")
    guest.wait_for_selector("#status:has-text('The call ended.')")
    alice.wait_for_selector("#status:has-text('You ended the call for everyone.')")
    assert guest.evaluate("window.talkCall.peerStates().length") == 0
    assert in_call(server) == []
    screenshot(guest, "call-ended-guest")


def test_the_call_survives_failing_polls_and_a_removed_session(server, database, chromium):
    alice = open_page(chromium, server, "alice")
    guest = open_page(chromium, server)
    for page in (alice, guest):
        assert_remote_videos_play(page, 1)

    # The guest's network drops its polls: they fail, are retried with backoff, and the call goes on.
    guest.context.route("**/api/v3/signaling/demopublic", lambda route: route.abort())
    alice.click("#toggle-video")  # wakes the guest's waiting poll; its next one fails
    guest.wait_for_selector("#status:has-text('Lost connection to the server; retrying (attempt 2)')", timeout=15_000)
    guest.context.unroute("**/api/v3/signaling/demopublic")
    guest.wait_for_selector("#status:has-text('In the call.')", timeout=15_000)
    # The change made during the blip reached the guest once its polls came through.
    guest.wait_for_selector(".tile.remote[data-video='off']")
    alice.click("#toggle-video")
    guest.wait_for_selector(".tile.remote[data-video='on']")
    assert_remote_videos_play(guest, 1)

    # The guest's session is removed on the server: the next poll answers 404 and the page rejoins.
    old_session = guest.evaluate("window.talkCall.state.sessionId")
    with sqlite3.connect(database, timeout=10) as db:
        assert db.execute("DELETE FROM talk_calls_session WHERE session_id = ?", (old_session,)).rowcount == 1
    alice.click("#toggle-audio")  # a participant change wakes the guest's poll
    guest.wait_for_function(
        "old => window.talkCall.state.inCall && ![null, old].includes(window.talkCall.state.sessionId)",
        arg=old_session,
        timeout=30_000,
    )
    for page in (alice, guest):
        page.wait_for_function(REMOTE_TILES, arg=1)
        assert_remote_videos_play(page, 1)
    assert names(alice) == ["Gina Guest"]
    assert names(guest) == [ALICE]
    assert in_call(server) == ["guests:Gina Guest", f"users:{ALICE}"]
    screenshot(guest, "call-rejoined-guest")
    for page in (alice, guest):
        page.click("#leave-call")
