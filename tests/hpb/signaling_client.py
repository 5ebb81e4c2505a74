"""A Talk client of the signaling server's WebSocket protocol (hello 1.0, as the web client
speaks it to 0.4.1; talk-signaling.md section C7), on ``websockets``' threading client.

0.4.1 hands clients a ``participants`` update with the ``changed`` entries merged into
``users`` (``clientsession.go``), so clients read everything from ``users``.

``expect(predicate)`` reads messages until one matches, keeping the others in ``seen``.
"""

import itertools
import json
import time
from contextlib import ExitStack

from websockets.sync.client import connect

BACKEND_PATH = "/ocs/v2.php/apps/spreed/api/v3/signaling/backend"


class SignalingClient:
    def __init__(self, server_url: str, backend_base: str):
        self._stack = ExitStack()
        url = server_url.replace("http://", "ws://").rstrip("/") + "/spreed"
        self.websocket = self._stack.enter_context(connect(url, open_timeout=5))
        self.backend_url = backend_base.rstrip("/") + BACKEND_PATH
        self.ids = itertools.count(1)
        self.seen: list[dict] = []
        self.session_id = None
        self.features: list = []

    def close(self) -> None:
        self._stack.close()

    def send(self, message: dict) -> str:
        message = {"id": str(next(self.ids)), **message}
        self.websocket.send(json.dumps(message))
        return message["id"]

    def receive(self, timeout: float) -> dict | None:
        try:
            return json.loads(self.websocket.recv(timeout=timeout))
        except TimeoutError:
            return None

    def expect(self, predicate, timeout: float = 5.0) -> dict:
        """Return the first message (already seen or new) for which ``predicate`` is true."""
        for message in self.seen:
            if predicate(message):
                self.seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is None:
                break
            if predicate(message):
                return message
            self.seen.append(message)
        summary = [
            (
                m.get("type"),
                (m.get("event") or {}).get("type"),
                sorted(((m.get("event") or {}).get("update") or {}).keys()),
                [
                    (u.get("actorId"), u.get("inCall"))
                    for k in ("changed", "users")
                    for u in ((m.get("event") or {}).get("update") or {}).get(k, [])
                ],
            )
            for m in self.seen
        ]
        raise AssertionError(f"no matching message within {timeout} s; seen: {summary}")

    def answer(self, message_id: str, timeout: float = 5.0) -> dict:
        return self.expect(lambda m: m.get("id") == message_id, timeout)

    def hello(self, user_id: str | None, ticket: str) -> dict:
        """Say hello 1.0 with a v1 ticket; return the ``hello`` answer (or raise with the error)."""
        message_id = self.send(
            {
                "type": "hello",
                "hello": {
                    "version": "1.0",
                    "auth": {"url": self.backend_url, "params": {"userid": user_id or "", "ticket": ticket}},
                },
            }
        )
        answer = self.answer(message_id)
        assert answer["type"] == "hello", answer
        self.session_id = answer["hello"]["sessionid"]
        self.features = answer["hello"].get("server", {}).get("features", [])
        return answer["hello"]

    def join(self, token: str, talk_session_id: str) -> dict:
        answer = self.answer(self.send({"type": "room", "room": {"roomid": token, "sessionid": talk_session_id}}))
        return answer

    def message(self, recipient_session: str, data: dict) -> None:
        self.send(
            {
                "type": "message",
                "message": {"recipient": {"type": "session", "sessionid": recipient_session}, "data": data},
            }
        )


def is_participants_update(message: dict) -> bool:
    event = message.get("event") or {}
    return message.get("type") == "event" and event.get("target") == "participants" and event.get("type") == "update"


def participants_update(message: dict) -> dict:
    return message["event"]["update"]
