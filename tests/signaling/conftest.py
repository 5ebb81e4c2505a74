"""Internal signaling tests: an async OCS client, run in one event loop with ``run``.

Every request of a scenario goes through ``AsyncOCS`` in one event loop, so the in-memory
channel layer sees the wake-ups sent by the synchronous views (asgiref runs their
``async_to_sync`` on that loop). Tests use ``transactional_db``: wake-ups go out on commit.
"""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from talk_calls.views import signaling as signaling_views
from tests.helpers import V4, basic_header

SIGNALING = "/ocs/v2.php/apps/spreed/api/v3/signaling"


def run(scenario, *args):
    """Run the coroutine function ``scenario`` to its end from a synchronous test."""
    return async_to_sync(scenario)(*args)


def body(response):
    return json.loads(response.content)


def data(response):
    return body(response)["ocs"]["data"]


class AsyncOCS(AsyncClient):
    """A Talk client: Basic auth for ``user`` (else a guest with its own cookies), ``OCS-APIRequest``."""

    def __init__(self, user=None, *, tab: str = "", **kwargs):
        headers = {"OCS-APIRequest": "true"}
        if user is not None:
            headers["Authorization"] = basic_header(user.get_username())
        if tab:
            headers["x-nextcloud-talk-session-tab-id"] = tab
        super().__init__(enforce_csrf_checks=True, **kwargs)
        self.talk_headers = headers

    def generic(self, method, path, data="", content_type="application/octet-stream", secure=False, **kwargs):
        kwargs["headers"] = {**self.talk_headers, **(kwargs.get("headers") or {})}
        return super().generic(method, path, data, content_type, secure, **kwargs)

    async def join(self, token: str) -> str:
        response = await self.post(f"{V4}/room/{token}/participants/active")
        assert response.status_code == 200, response.content
        return data(response)["sessionId"]

    async def leave_room(self, token: str):
        return await self.delete(f"{V4}/room/{token}/participants/active")

    async def join_call(self, token: str, flags: int):
        response = await self.post(f"{V4}/call/{token}", {"flags": flags}, content_type="application/json")
        assert response.status_code == 200, response.content
        return response

    async def pull(self, token: str):
        return await self.get(f"{SIGNALING}/{token}")

    async def send(self, token: str, items: list, **extra):
        return await self.post(
            f"{SIGNALING}/{token}", {"messages": json.dumps(items)}, content_type="application/json", **extra
        )

    async def settle(self, token: str) -> list:
        """Pull until a poll comes back empty of wake-ups (short timeout); return the last data."""
        return data(await self.pull(token))


def message(sender: str, to: str, kind: str = "candidate", **fields) -> dict:
    """Return one ``messages`` element as the web client sends it."""
    fn = {"to": to, "type": kind, "roomType": "video", "payload": fields.pop("payload", {}), **fields}
    return {"ev": "message", "fn": json.dumps(fn), "sessionId": sender}


def users_in_room(entries: list) -> list:
    assert entries[-1]["type"] == "usersInRoom", entries
    return entries[-1]["data"]


def relayed(entries: list) -> list[dict]:
    return [json.loads(e["data"]) for e in entries if e["type"] == "message"]


async def later(coro_fn, delay=0.05):
    await asyncio.sleep(delay)
    return await coro_fn()


@pytest.fixture
def short_polls(monkeypatch):
    """Polls wait 1 s instead of 30 s."""
    monkeypatch.setattr(signaling_views, "PULL_TIMEOUT", 1)


@pytest.fixture
def redis_layer(settings):
    """Use channels-redis on the machine's Redis, under a key prefix of this test's own."""
    from .servers import flush_prefix, require_redis, unique_prefix

    url = require_redis()
    prefix = unique_prefix()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": 15}], "prefix": prefix, "expiry": 300},
        }
    }
    yield prefix
    flush_prefix(prefix)
