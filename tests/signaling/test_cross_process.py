"""Two ASGI server processes on one Redis: a message posted to one reaches a poll waiting on
the other, and a participant change in one wakes a poll in the other."""

import json
import threading
import time

import httpx
import pytest
from django.db import connection

from project.demo_info import LOGINS

from .servers import asgi_servers, flush_prefix, make_demo_database, require_redis, unique_prefix

pytestmark = [pytest.mark.live]
PASSWORDS = {name: password for name, password, _ in LOGINS}
V4 = "/ocs/v2.php/apps/spreed/api/v4"
SIGNALING = "/ocs/v2.php/apps/spreed/api/v3/signaling"
TOKEN = "demogroup"


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    if connection.vendor != "sqlite":
        pytest.skip("the servers run on a demo SQLite file of their own: covered by the SQLite run")
    return make_demo_database(tmp_path_factory.mktemp("cross-process"))


def client(base_url: str, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, auth=(username, PASSWORDS[username]), headers={"OCS-APIRequest": "true"}, timeout=40
    )


def data(response):
    return response.json()["ocs"]["data"]


def test_a_message_crosses_processes_and_so_do_wake_ups(demo_database):
    redis_url = require_redis()
    prefix = unique_prefix()
    try:
        with asgi_servers(demo_database, 2, CHANNEL_LAYER_URL=redis_url, CHANNEL_LAYER_PREFIX=prefix) as (one, two):
            alice, bob = client(one, "alice"), client(two, "bob")
            # The demo's ASGI application still serves the admin's static files.
            assert httpx.get(f"{one}/static/admin/css/base.css").status_code == 200
            sa = data(alice.post(f"{V4}/room/{TOKEN}/participants/active"))["sessionId"]
            sb = data(bob.post(f"{V4}/room/{TOKEN}/participants/active"))["sessionId"]
            alice.get(f"{SIGNALING}/{TOKEN}")
            bob.get(f"{SIGNALING}/{TOKEN}")

            # Bob waits on server two; alice posts on server one.
            result = {}

            def poll():
                started = time.monotonic()
                result["response"] = bob.get(f"{SIGNALING}/{TOKEN}")
                result["elapsed"] = time.monotonic() - started

            waiting = threading.Thread(target=poll)
            waiting.start()
            # Idle longer than channels-redis's 5 s blocking pop: the project's socket
            # timeout must outlast it (talk-signaling G), or the poll dies with a 500.
            time.sleep(6)
            fn = json.dumps({"to": sb, "type": "candidate", "roomType": "video", "payload": {"n": 1}})
            posted = alice.post(
                f"{SIGNALING}/{TOKEN}", json={"messages": json.dumps([{"ev": "message", "fn": fn, "sessionId": sa}])}
            )
            waiting.join(10)
            assert posted.status_code == 200
            entries = data(result["response"])
            assert [json.loads(e["data"])["from"] for e in entries if e["type"] == "message"] == [sa]
            assert 6 <= result["elapsed"] < 10

            # Alice joins the call on server one: bob's poll on server two wakes with the flags.
            waiting = threading.Thread(target=poll)
            waiting.start()
            time.sleep(0.3)
            assert alice.post(f"{V4}/call/{TOKEN}", json={"flags": 3}).status_code == 200
            waiting.join(10)
            users = {u["sessionId"]: u for u in data(result["response"])[-1]["data"]}
            assert users[sa]["inCall"] == 3 and result["elapsed"] < 5
            alice.close()
            bob.close()
    finally:
        flush_prefix(prefix)
