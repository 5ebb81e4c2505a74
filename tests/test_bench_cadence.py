"""The bench's own logic (bench/cadence.py, bench/run.py): the cadence schedule, its
percentiles and summary, its keep-alive connection pool against a small real server, and
the judgement of the workers' memory. No database, well under a second."""

import asyncio
from collections import Counter

import pytest

from bench.cadence import (
    FETCH_EVERY,
    PING_EVERY,
    Pool,
    Result,
    Step,
    offered_rate,
    parse_head,
    percentile,
    schedule,
    summarize,
)
from bench.run import cpu_capacity, rss_verdict


def test_schedule_paces_every_participant_like_a_client():
    duration = 30.0
    events = schedule(50, duration)
    assert events == sorted(events)
    assert all(0 <= at < duration for at, _, _ in events)
    for participant in range(50):
        mine = [(at, kind) for at, who, kind in events if who == participant]
        counts = Counter(kind for _, kind in mine)
        # 30 s: a ping every 5 s, the room and the call every 15 s each.
        assert counts == {"ping": 6, "room": 2, "call": 2}
        pings = [at for at, kind in mine if kind == "ping"]
        assert all(b - a == pytest.approx(PING_EVERY) for a, b in zip(pings, pings[1:], strict=False))
        room = sorted(at for at, kind in mine if kind == "room")
        call = sorted(at for at, kind in mine if kind == "call")
        assert room[1] - room[0] == pytest.approx(FETCH_EVERY)
        # The two fetches are half a period apart (modulo the period).
        assert (call[0] - room[0]) % FETCH_EVERY == pytest.approx(FETCH_EVERY / 2)
    # Random phases: the load is spread, not a burst at zero.
    assert len({round(at, 3) for at, _, kind in events if kind == "ping"}) > 250


def test_schedule_is_repeatable_and_matches_the_offered_rate():
    assert schedule(20, 15.0) == schedule(20, 15.0)
    assert schedule(20, 15.0, seed=1) != schedule(20, 15.0, seed=2)
    assert len(schedule(300, 15.0)) == pytest.approx(offered_rate(300) * 15.0)
    assert offered_rate(1000) == pytest.approx(1000 / 5 + 2000 / 15)


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.99) == 0.0
    # One slow request in ten is the p99 (it is above the 90th percentile).
    assert percentile([1.0] * 9 + [500.0], 0.99) == 500.0


def test_summary_counts_failures_by_status_and_latency_from_the_schedule():
    results = [Result("ping", 0.010, 200, queries=2, server_us=4000) for _ in range(97)]
    results += [Result("call", 10.0, 0, error="timeout"), Result("room", 0.02, 503), Result("room", 0.03, 429)]
    step = Step(participants=10, duration=10.0, results=results, wall=12.0, generator_cpu=0.2)
    summary = summarize(step)
    assert summary["non_2xx"] == {"429": 1, "503": 1, "timeout": 1}
    assert summary["offered_rps"] == pytest.approx(10.0)
    assert summary["achieved_rps"] == pytest.approx(99 / 12.0)
    assert summary["p99_ms"] == pytest.approx(30.0)
    assert summary["kinds"]["call"] == {"n": 1, "p50_ms": 10000.0, "p99_ms": 10000.0}
    assert summary["generator_cpu_ms"] == pytest.approx(2.0)
    assert summary["queries"] == pytest.approx(2 * 97 / 99)


def test_parse_head():
    status, headers = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Bench-Queries: 2\r\n\r\n")
    assert status == 200
    assert headers == {"content-length": "5", "x-bench-queries": "2"}


def test_pool_keeps_connections_alive_and_replaces_closed_ones():
    """A real asyncio HTTP server: keep-alive answers are reused, ``Connection: close`` ones
    are not, and an idle connection the server dropped is replaced without a failure."""
    connections = []

    async def serve(reader, writer):
        connections.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                close = b"close-me" in head
                body = b'{"ok": true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s"
                    % (len(body), b"Connection: close\r\n" if close else b"", body)
                )
                await writer.drain()
                if close or b"drop-after" in head:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    async def scenario():
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = Pool("127.0.0.1", port, size=2)
        statuses = [(await pool.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))[0] for _ in range(3)]
        assert (pool.opened, pool.reused) == (1, 2)
        await pool.send(b"GET /close-me HTTP/1.1\r\nHost: x\r\n\r\n")
        assert not pool.idle
        await pool.send(b"GET /drop-after HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.05)  # the server has closed that idle connection
        statuses.append((await pool.send(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n"))[0])
        pool.close()
        server.close()
        await server.wait_closed()
        return statuses, pool.opened

    statuses, opened = asyncio.run(scenario())
    assert statuses == [200, 200, 200, 200]
    # The first (three requests and close-me), drop-after's, and the replacement of the dropped one.
    assert opened == len(connections) == 3


def test_rss_verdict_judges_growth_after_the_largest_answer():
    points = [("baseline", 100, 101), ("GET /call, 5000 in call", 101, 300), ("ping", 300, 302), ("end", 302, 305)]
    flat = rss_verdict(points, 99, 305, "GET /call, 5000 in call")
    assert "**flat**" in flat and "+5 MB over the 2 later cases" in flat
    leaking = rss_verdict([*points, ("cadence", 305, 400)], 99, 400, "GET /call, 5000 in call")
    assert "**NOT flat**" in leaking
    # Without the large case, growth is judged from the first case on.
    assert "**NOT flat**" in rss_verdict([("baseline", 100, 101), ("ping", 101, 180)], 99, 180, None)


def test_cpu_capacity():
    # 1,000 participants ask for 333 requests/s: at 4.2 ms each, 70 % of 2 cores.
    assert cpu_capacity(4.2, 2) == 1000
    assert cpu_capacity(9.2, 2) == 457
    assert cpu_capacity(0.0, 2) == 0
