"""The cadence case's load: N participants of one call, paced like Talk clients, open loop.

Each participant pings (``PUT /call``, same flags) every 5 s and fetches ``GET room/{token}``
and ``GET /call`` every 15 s, at a random phase. Requests are sent at their scheduled time
whatever the server's state (open loop: wrk2 is not in Debian), one connection each with
``Connection: close``; a request's latency counts from its scheduled time, so a server
that falls behind shows it in the percentiles instead of slowing the load down.
"""

import asyncio
import json
import random
import time
from dataclasses import dataclass

PING_EVERY = 5.0
FETCH_EVERY = 15.0
TIMEOUT = 10.0


@dataclass
class Result:
    kind: str
    latency: float
    status: int
    queries: int
    server_us: int


def _request(method: str, path: str, cookie: str, host: str, body: bytes = b"") -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"Cookie: {cookie}",
        "OCS-APIRequest: true",
        "Accept: application/json",
        "Connection: close",
    ]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _send(host: str, port: int, raw: bytes) -> tuple[int, dict]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def schedule(count: int, duration: float, seed: int = 13) -> list[tuple[float, int, str]]:
    """Return ``(time, participant, kind)`` of every request of a step, sorted by time."""
    rng = random.Random(seed)
    events = []
    for participant in range(count):
        phase = rng.uniform(0, PING_EVERY)
        at = phase
        while at < duration:
            events.append((at, participant, "ping"))
            at += PING_EVERY
        phase = rng.uniform(0, FETCH_EVERY)
        for offset, kind in ((0.0, "room"), (FETCH_EVERY / 2, "call")):
            at = (phase + offset) % FETCH_EVERY
            while at < duration:
                events.append((at, participant, kind))
                at += FETCH_EVERY
    events.sort()
    return events


async def _run(host: str, port: int, token: str, cookies: list[str], duration: float) -> list[Result]:
    ping_body = json.dumps({"flags": 7}).encode()
    requests = {
        "ping": lambda cookie: _request("PUT", f"/ocs/v2.php/apps/spreed/api/v4/call/{token}", cookie, host, ping_body),
        "room": lambda cookie: _request("GET", f"/ocs/v2.php/apps/spreed/api/v4/room/{token}", cookie, host),
        "call": lambda cookie: _request("GET", f"/ocs/v2.php/apps/spreed/api/v4/call/{token}", cookie, host),
    }
    results: list[Result] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(at: float, kind: str, raw: bytes):
        try:
            status, headers = await asyncio.wait_for(_send(host, port, raw), TIMEOUT)
        except (TimeoutError, OSError):
            status, headers = 0, {}
        results.append(
            Result(
                kind=kind,
                latency=loop.time() - start - at,
                status=status,
                queries=int(headers.get("x-bench-queries", 0)),
                server_us=int(headers.get("x-bench-time-us", 0)),
            )
        )

    tasks = []
    for at, participant, kind in schedule(len(cookies), duration):
        wait = start + at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(at, kind, requests[kind](cookies[participant]))))
    await asyncio.gather(*tasks)
    return results


def run_step(host: str, port: int, token: str, cookies: list[str], duration: float) -> tuple[list[Result], float]:
    """Drive one step with every cookie a participant; return the results and the wall time."""
    started = time.monotonic()
    results = asyncio.run(_run(host, port, token, cookies, duration))
    return results, time.monotonic() - started
