"""The cadence case's load: N participants of one call, paced like Talk clients, open loop.

Each participant pings (``PUT /call``, same flags) every 5 s and fetches ``GET room/{token}``
and ``GET /call`` every 15 s, at a random phase. Every request is sent at its scheduled time
whatever the server's state (open loop: wrk2 is not in Debian, and wrk's ``delay()`` paces a
connection only after its previous answer), and its latency counts from that scheduled time:
a server that falls behind shows it in the percentiles instead of slowing the load down (no
coordinated omission).

Requests go over a pool of persistent HTTP/1.1 connections (keep-alive, as browsers use
them); a connection the server closes (gunicorn's sync workers close every one after the
answer) is replaced by a new one. A request that finds every pooled connection busy waits
for one, and that wait is part of its latency. The generator is one asyncio loop in the bench
process: its own CPU time is measured per step (it shares the machine with the server).
"""

import asyncio
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field

PING_EVERY = 5.0
FETCH_EVERY = 15.0
TIMEOUT = 10.0
KINDS = ("ping", "room", "call")


@dataclass
class Result:
    kind: str
    #: Seconds from the scheduled send time to the end of the answer (or the failure).
    latency: float
    #: The HTTP status; 0 when no answer came (see ``error``).
    status: int
    queries: int = 0
    server_us: int = 0
    #: Seconds the generator sent it after its scheduled time (its own lag).
    lag: float = 0.0
    error: str = ""


@dataclass
class Step:
    """One step's results and what the generator spent on them."""

    participants: int
    duration: float
    results: list[Result]
    #: Seconds from the step's start until its last answer.
    wall: float
    #: CPU seconds (user + system) of the generator's process during the step.
    generator_cpu: float
    opened: int = 0
    reused: int = 0
    summary: dict = field(default_factory=dict)


def percentile(values, q: float) -> float:
    """Return the nearest-rank ``q`` quantile (0 < q ≤ 1) of ``values`` (0.0 when empty)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def schedule(count: int, duration: float, seed: int = 13) -> list[tuple[float, int, str]]:
    """Return ``(time, participant, kind)`` of every request of a step, sorted by time.

    Each participant pings every ``PING_EVERY`` seconds from a random phase, and fetches
    the room and the call every ``FETCH_EVERY`` seconds each, half a period apart, from
    another random phase."""
    rng = random.Random(seed)
    events = []
    for participant in range(count):
        at = rng.uniform(0, PING_EVERY)
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


def offered_rate(count: int) -> float:
    """Requests per second that ``count`` participants ask for on average."""
    return count * (1 / PING_EVERY + 2 / FETCH_EVERY)


def _request(method: str, path: str, cookie: str, host: str, body: bytes = b"") -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"Cookie: {cookie}",
        "OCS-APIRequest: true",
        "Accept: application/json",
    ]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Return the status and the (lower-cased) headers of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def exchange(self, raw: bytes) -> tuple[int, dict[str, str], bool]:
        """Send one request; return the status, the headers, and whether the connection
        can carry another request."""
        self.writer.write(raw)
        await self.writer.drain()
        status, headers = parse_head(await self.reader.readuntil(b"\r\n\r\n"))
        keep = headers.get("connection", "").lower() != "close"
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.read()
            keep = False
        return status, headers, keep

    def close(self) -> None:
        self.writer.close()


class Pool:
    """At most ``size`` persistent connections to one server, reused while it keeps them open."""

    def __init__(self, host: str, port: int, size: int):
        self.host, self.port = host, port
        self.slots = asyncio.Semaphore(size)
        self.idle: list[Connection] = []
        self.opened = self.reused = 0

    async def _open(self) -> Connection:
        self.opened += 1
        return Connection(*await asyncio.open_connection(self.host, self.port))

    async def send(self, raw: bytes) -> tuple[int, dict[str, str]]:
        async with self.slots:
            connection = self.idle.pop() if self.idle else None
            if connection is not None:
                self.reused += 1
                try:
                    status, headers, keep = await connection.exchange(raw)
                except (asyncio.IncompleteReadError, ConnectionError):
                    # The server closed the idle connection (its keep-alive timeout): a new one.
                    connection.close()
                    connection = None
            if connection is None:
                connection = await self._open()
                try:
                    status, headers, keep = await connection.exchange(raw)
                except BaseException:
                    connection.close()
                    raise
            if keep:
                self.idle.append(connection)
            else:
                connection.close()
            return status, headers

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


async def _run(host: str, port: int, token: str, cookies: list[str], duration: float, connections: int):
    ping_body = json.dumps({"flags": 7}).encode()
    call, room = f"/ocs/v2.php/apps/spreed/api/v4/call/{token}", f"/ocs/v2.php/apps/spreed/api/v4/room/{token}"
    address = f"{host}:{port}"
    requests = {
        "ping": [_request("PUT", call, cookie, address, ping_body) for cookie in cookies],
        "room": [_request("GET", room, cookie, address) for cookie in cookies],
        "call": [_request("GET", call, cookie, address) for cookie in cookies],
    }
    events = schedule(len(cookies), duration)
    pool = Pool(host, port, connections)
    results: list[Result] = []
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(at: float, kind: str, raw: bytes):
        lag = loop.time() - start - at
        error = ""
        try:
            status, headers = await asyncio.wait_for(pool.send(raw), TIMEOUT - max(lag, 0.0))
        except TimeoutError:
            status, headers, error = 0, {}, "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as failure:
            status, headers, error = 0, {}, type(failure).__name__
        results.append(
            Result(
                kind=kind,
                latency=loop.time() - start - at,
                status=status,
                queries=int(headers.get("x-bench-queries", 0)),
                server_us=int(headers.get("x-bench-time-us", 0)),
                lag=lag,
                error=error,
            )
        )

    tasks = []
    for at, participant, kind in events:
        wait = start + at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(at, kind, requests[kind][participant])))
    await asyncio.gather(*tasks)
    wall = loop.time() - start
    pool.close()
    return results, wall, pool.opened, pool.reused


def run_step(host: str, port: int, token: str, cookies: list[str], duration: float, connections: int = 256) -> Step:
    """Drive one step with every cookie a participant, over at most ``connections`` connections."""
    cpu = time.process_time()
    results, wall, opened, reused = asyncio.run(_run(host, port, token, cookies, duration, connections))
    step = Step(len(cookies), duration, results, wall, time.process_time() - cpu, opened, reused)
    step.summary = summarize(step)
    return step


def summarize(step: Step) -> dict:
    """Return a step's figures: rates, latency percentiles per kind (ms), failures by status."""
    results = step.results
    answered = [result for result in results if result.status]
    by_kind = {kind: [r.latency * 1000 for r in results if r.kind == kind] for kind in KINDS}
    statuses = Counter(result.error or str(result.status) for result in results if not 200 <= result.status < 300)
    count = len(results) or 1
    return {
        "offered_rps": len(results) / step.duration if step.duration else 0.0,
        "achieved_rps": len(answered) / step.wall if step.wall else 0.0,
        "p50_ms": percentile([r.latency * 1000 for r in results], 0.50),
        "p99_ms": percentile([r.latency * 1000 for r in results], 0.99),
        "kinds": {
            kind: {"n": len(values), "p50_ms": percentile(values, 0.50), "p99_ms": percentile(values, 0.99)}
            for kind, values in by_kind.items()
            if values
        },
        "non_2xx": dict(sorted(statuses.items())),
        "queries": sum(r.queries for r in answered) / (len(answered) or 1),
        "server_ms": sum(r.server_us for r in answered) / (len(answered) or 1) / 1000,
        "lag_p99_ms": percentile([r.lag * 1000 for r in results], 0.99),
        "generator_cpu_ms": step.generator_cpu * 1000 / count,
        "generator_core": step.generator_cpu / step.wall if step.wall else 0.0,
    }
