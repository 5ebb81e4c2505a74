"""The call page in external mode when the signaling server calls its hello credentials
stale: it fetches ``signaling/settings`` once more and says hello again (as the Talk web
client does on ``token_expired`` and ``invalid_token``).

The signaling server here is a stand-in of a few lines (Python ``websockets``): Debian's
0.4.1 checks v1 tickets through our backend and never answers these codes, which newer
servers send for expired hello v2 tokens. It refuses the first hello with the code under
test and accepts the second, and answers the room join. The page runs on a uvicorn
process of the demo (SQLite run) whose settings name the stand-in.
"""

import asyncio
import json
import threading

import pytest
import websockets
from django.db import connection

from tests.helpers import needs_tool, screenshot
from tests.signaling.servers import asgi_servers, make_demo_database

from .test_call import chromium, open_page  # noqa: F401 - the fixture and the helper of the call test

pytestmark = [pytest.mark.browser, pytest.mark.live]


class StandIn:
    """A WebSocket server on a free port that records hellos and answers as told."""

    def __init__(self, first_error: str):
        self.first_error = first_error
        self.hellos: list[dict] = []
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    async def handle(self, socket):
        async for text in socket:
            message = json.loads(text)
            answer: dict = {"id": message.get("id")}
            if message.get("type") == "hello":
                self.hellos.append(message["hello"])
                if len(self.hellos) == 1:
                    answer.update(type="error", error={"code": self.first_error, "message": "stale"})
                else:
                    answer.update(type="hello", hello={"version": "1.0", "sessionid": "standin-1",
                                                       "resumeid": "resume-1", "server": {"features": []}})  # fmt: skip
            elif message.get("type") == "room":
                answer.update(type="room", room={"roomid": message["room"]["roomid"]})
            else:
                continue
            await socket.send(json.dumps(answer))

    def run(self):
        asyncio.set_event_loop(self.loop)

        async def main():
            async with websockets.serve(self.handle, "127.0.0.1", 0) as server:
                self.port = server.sockets[0].getsockname()[1]
                self.ready.set()
                self.stopped = self.loop.create_future()
                await self.stopped

        self.loop.run_until_complete(main())

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.stopped.set_result, None)
        self.thread.join(10)


@pytest.mark.parametrize("code", ["token_expired", "invalid_token"])
def test_a_stale_ticket_is_fetched_again_once(tmp_path, chromium, code):  # noqa: F811
    if connection.vendor != "sqlite":
        pytest.skip("the server runs on a demo SQLite file of its own: covered by the SQLite run")
    needs_tool("chromium")
    database = make_demo_database(tmp_path)
    with StandIn(code) as standin:
        env = {
            "TALK_SIGNALING_SERVERS": f"http://127.0.0.1:{standin.port}",
            "TALK_SIGNALING_VERIFY": "false",
            "TALK_SIGNALING_SECRET": "stand-in-secret-0123456789abcdef",
        }
        with asgi_servers(database, 1, **env) as (url,):
            page = open_page(chromium, url, "alice")
            screenshot(page, f"call-stale-ticket-{code}")
            assert page.get_attribute("#talk-call", "data-signaling") == "external"
            assert page.inner_text("#status") == "In the call."
    tickets = [hello["auth"]["params"]["ticket"] for hello in standin.hellos]
    assert len(tickets) == 2 and tickets[0] != tickets[1]  # the second from fresh settings
    assert all(hello["auth"]["params"]["userid"] == "alice" for hello in standin.hellos)
