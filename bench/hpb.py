#!/usr/bin/env python
"""The High-Performance Backend, measured (issue 10): the app against Debian's signaling server.

    .venv/bin/python bench/hpb.py [--pg-url postgres://postgres@127.0.0.1:5432/talk_calls_bench_hpb]
        [--clients 1000] [--ping-requests 200] [--ping-size 200] [--idle-seconds 35] [--json FILE]

Everything runs on loopback: a fresh PostgreSQL database (created and dropped here), one
app server (uvicorn, one process, ``bench.hpb_settings``: every request and statement
counted by ``bench.hpb_counters``), and ``nextcloud-spreed-signaling-server`` (Debian 0.4.1)
whose backend is that app server, with ``server.conf`` from ``talk_calls.hpb.config``.

1. ``ping``: ``--ping-requests`` signed backend ``ping`` requests of ``--ping-size`` Talk
   sessions each, as the signaling server sends them every 10 s per room: statements and
   server time per request (the app's own middleware clock), and the round trip.
2. Idle: ``--clients`` guests connect to the signaling server (hello 1.0 with a v1 ticket,
   room join) in one public room whose call runs; then nobody changes anything for
   ``--idle-seconds``: every request the app server receives and every statement it runs
   in that window, by path (the signaling server's pings are all there should be).
3. End for everyone: the moderator's ``DELETE call {"all": true}`` on the app server; the
   clock runs from before the request until each client's WebSocket delivers the
   ``participants`` update that names its own session out of the call (0.4.1 has no
   ``incall-all``: the ``incall`` notifications list every session, in requests of at most
   60 KiB, and the server sends each of them to every client of the room).

Prints a Markdown table; ``--json FILE`` writes the numbers too.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402
import httpx  # noqa: E402
import psycopg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

SECRET = "bench-hpb-signaling-secret-" + uuid.uuid4().hex
BACKEND = "/ocs/v2.php/apps/spreed/api/v3/signaling/backend"
COUNTERS = "/bench/hpb-counters"
V4 = "/ocs/v2.php/apps/spreed/api/v4"
HEADERS = {"OCS-APIRequest": "true", "Accept": "application/json"}
MODERATOR_PASSWORD = "bench-hpb-moderator"
CONNECT_CONCURRENCY = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {timeout} s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": statistics.median(ordered), "p90": pick(0.9), "p99": pick(0.99), "max": ordered[-1]}


class Database:
    """The bench database: created fresh, dropped at the end."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.url, self.name = url, parts.path.lstrip("/")
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.name}"')

    def _execute(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Bench:
    def __init__(self, args):
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-hpb-"))
        self.processes: list[subprocess.Popen] = []
        self.results: dict = {"clients": args.clients, "ping_size": args.ping_size}

    # --- set-up ------------------------------------------------------------------------------

    def setup(self) -> None:
        if shutil.which("nextcloud-spreed-signaling-server") is None:
            raise SystemExit("nextcloud-spreed-signaling-server is missing: apt-get install nextcloud-spreed-signaling")
        self.db = Database(self.args.pg_url)
        self.app_port, self.signaling_port = free_port(), free_port()
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        self.signaling_url = f"http://127.0.0.1:{self.signaling_port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TALK_", "CACHE_", "CHANNEL_LAYER"))},
            "DJANGO_SETTINGS_MODULE": "bench.hpb_settings",
            "DATABASE_URL": self.db.url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-hpb-" + "x" * 50,
            "TALK_SIGNALING_SERVERS": self.signaling_url,
            "TALK_SIGNALING_VERIFY": "false",
            "TALK_SIGNALING_SECRET": SECRET,
            "TALK_SIGNALING_BACKEND_URL": self.app_url + "/",
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(self.env)
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self.seed()
        self.start_app_server()
        self.start_signaling_server()

    def seed(self) -> None:
        """A public room with ``--ping-size`` guest sessions (the ping requests), and one with
        ``--clients`` guest sessions in a running call plus its owner (the WebSocket clients)."""
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from talk_calls.constants import ActorType, InCallFlag, ParticipantType, RoomType
        from talk_calls.models import Attendee, Room, Session
        from talk_calls.services.sessions import new_session_id

        def guests(room: Room, count: int, in_call: int) -> list[str]:
            attendees = Attendee.objects.bulk_create(
                Attendee(room=room, actor_type=ActorType.GUESTS, actor_id=uuid.uuid4().hex + uuid.uuid4().hex[:8],
                         display_name=f"Guest {i}", participant_type=ParticipantType.GUEST)
                for i in range(count)
            )  # fmt: skip
            sessions = Session.objects.bulk_create(
                Session(session_id=new_session_id(), attendee=a, room=room, in_call=in_call) for a in attendees
            )
            return [session.session_id for session in sessions]

        self.ping_room = Room.objects.create(token="benchping", name="Ping bench", type=RoomType.PUBLIC)
        self.ping_sessions = guests(self.ping_room, self.args.ping_size, 0)
        self.call_room = Room.objects.create(token="benchcall", name="Call bench", type=RoomType.PUBLIC)
        flags = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO)
        self.call_sessions = guests(self.call_room, self.args.clients, flags)
        moderator = get_user_model().objects.create_user("moderator", password=MODERATOR_PASSWORD)
        Attendee.objects.create(room=self.call_room, actor_type=ActorType.USERS, actor_id="moderator",
                                participant_type=ParticipantType.OWNER, user=moderator)  # fmt: skip
        Room.objects.filter(pk=self.call_room.pk).update(active_since=timezone.now())

    def spawn(self, argv: list[str], name: str, **kwargs) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps it open
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs)
        log.close()
        self.processes.append(process)
        return process

    def start_app_server(self) -> None:
        argv = [sys.executable, "-m", "uvicorn", "project.asgi:application", "--host", "127.0.0.1",
                "--port", str(self.app_port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
        self.app = self.spawn(argv, "app", cwd=ROOT, env=self.env)
        wait_until(lambda: httpx.get(self.app_url + COUNTERS).status_code == 200, 30, "the app server")

    def start_signaling_server(self) -> None:
        from talk_calls.hpb.config import SignalingServerConfig, render_server_conf

        config = SignalingServerConfig(listen=f"127.0.0.1:{self.signaling_port}", backend_url=self.app_url + "/")
        conf = self.workdir / "server.conf"
        conf.write_text(render_server_conf(config))
        self.signaling = self.spawn(["nextcloud-spreed-signaling-server", "--config", str(conf)], "signaling")
        welcome = f"{self.signaling_url}/api/v1/welcome"
        wait_until(lambda: httpx.get(welcome).status_code == 200, 10, "the signaling server")

    def teardown(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if hasattr(self, "db"):
            from django.db import connections

            connections.close_all()
            self.db.drop()
        if os.environ.get("BENCH_HPB_DEBUG"):
            print("logs kept in", self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def pids(self) -> dict:
        return {
            "signaling server": self.signaling.pid,
            "app server": self.app.pid,
            "clients (this process)": os.getpid(),
        }

    def counters(self) -> dict:
        return httpx.get(self.app_url + COUNTERS).json()

    # --- 1. ping -----------------------------------------------------------------------------

    def measure_ping(self) -> None:
        from talk_calls.hpb.checksum import signed_headers

        body = json.dumps(
            {
                "type": "ping",
                "ping": {
                    "version": "1.0",
                    "roomid": self.ping_room.token,
                    "entries": [{"userid": "", "sessionid": sid} for sid in self.ping_sessions],
                },
            }
        ).encode()
        queries, server_ms, round_trip_ms = [], [], []
        with httpx.Client(base_url=self.app_url, timeout=30) as client:
            for index in range(self.args.ping_requests + 5):
                headers = {"Content-Type": "application/json", **signed_headers(SECRET, body)}
                started = time.perf_counter()
                response = client.post(BACKEND, content=body, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                answer = response.json()["ocs"]["data"]
                assert response.status_code == 200 and answer["type"] == "room", response.text
                if index < 5:
                    continue  # warm-up
                queries.append(int(response.headers["X-Bench-Queries"]))
                server_ms.append(int(response.headers["X-Bench-Time-Us"]) / 1000)
                round_trip_ms.append(elapsed)
        self.results["ping"] = {
            "requests": len(queries),
            "queries": sorted(set(queries)),
            "server_ms": percentiles(server_ms),
            "round_trip_ms": percentiles(round_trip_ms),
        }

    # --- 2. idle clients, 3. end for everyone ------------------------------------------------

    async def client(self, index: int, session_id: str, gate: asyncio.Semaphore) -> None:
        from talk_calls.signaling.tickets import make_ticket

        url = self.signaling_url.replace("http://", "ws://") + "/spreed"
        async with gate:
            ws = await connect(url, max_size=2**25, open_timeout=60, ping_interval=None, close_timeout=1)
            self.sockets.append(ws)
            hello = {
                "version": "1.0",
                "auth": {"url": self.app_url + BACKEND, "params": {"userid": "", "ticket": make_ticket(None)}},
            }
            await ws.send(json.dumps({"id": "1", "type": "hello", "hello": hello}))
            await self.answer(ws, "1", "hello")
            await ws.send(
                json.dumps(
                    {"id": "2", "type": "room", "room": {"roomid": self.call_room.token, "sessionid": session_id}}
                )
            )
            await self.answer(ws, "2", "room")
        self.connected += 1
        try:
            await self.listen(index, session_id, ws)
        except ConnectionClosed:
            pass

    async def listen(self, index: int, session_id: str, ws) -> None:
        """Note when this client learns that its own session left the call: the first
        ``participants`` update after the end that names its Talk session id. Messages stay
        bytes (no decoding): the clients share the machine with the servers they measure."""
        needle = session_id.encode()
        while True:
            raw = await ws.recv(decode=False)
            if os.environ.get("BENCH_HPB_DEBUG") and index == 0:
                print("client 0 got", raw[:300], flush=True)
            if self.ending_at is None or b'"target":"participants"' not in raw:
                continue
            self.received_bytes += len(raw)
            self.received_messages += 1
            if index not in self.arrivals and needle in raw:
                self.arrivals[index] = time.perf_counter() - self.ending_at
                if len(self.arrivals) == len(self.call_sessions):
                    self.all_arrived.set()

    @staticmethod
    async def answer(ws, message_id: str, kind: str) -> None:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if message.get("id") == message_id:
                if message.get("type") != kind:
                    raise RuntimeError(f"expected {kind}, got {message}")
                return

    async def measure_clients(self) -> None:
        self.sockets, self.connected, self.arrivals, self.ending_at = [], 0, {}, None
        self.received_bytes = self.received_messages = 0
        self.all_arrived = asyncio.Event()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        started = time.perf_counter()
        tasks = [asyncio.create_task(self.client(i, sid, gate)) for i, sid in enumerate(self.call_sessions)]
        while self.connected < len(tasks):
            failed = [task for task in tasks if task.done() and task.exception()]
            if failed:
                raise failed[0].exception()
            await asyncio.sleep(0.1)
        connect_seconds = time.perf_counter() - started
        # The moderator joins the conversation now: its own "incall" notification reaches the
        # clients before anything is measured.
        client = httpx.Client(
            base_url=self.app_url, auth=("moderator", MODERATOR_PASSWORD), headers=HEADERS, timeout=60
        )
        joined = await asyncio.to_thread(client.post, f"{V4}/room/{self.call_room.token}/participants/active")
        assert joined.status_code == 200, joined.text
        await asyncio.sleep(3)  # nothing changes from here on

        # 2. Idle: count what reaches the app server while nobody changes anything.
        before = await asyncio.to_thread(self.counters)
        await asyncio.sleep(self.args.idle_seconds)
        after = await asyncio.to_thread(self.counters)
        requests = {p: n - before["requests"].get(p, 0) for p, n in after["requests"].items()}
        requests = {p: n for p, n in requests.items() if n}
        queries = {p: after["queries"][p] - before["queries"].get(p, 0) for p in requests}
        self.results["idle"] = {
            "connect_seconds": round(connect_seconds, 1),
            "window_seconds": self.args.idle_seconds,
            "requests": requests,
            "queries": queries,
            "signaling_rss_mb": round(rss_mb(self.signaling.pid), 1),
            "app_rss_mb": round(rss_mb(self.app.pid), 1),
        }

        # 3. End for everyone, from the moderator on the app server.
        done = threading.Event()
        outcome: dict = {}

        def end_call():
            outcome["response"] = client.request("DELETE", f"{V4}/call/{self.call_room.token}", json={"all": True})
            outcome["seconds"] = time.perf_counter() - self.ending_at
            done.set()

        cpu_before = {name: cpu_seconds(pid) for name, pid in self.pids().items()}
        self.ending_at = time.perf_counter()
        threading.Thread(target=end_call).start()
        try:
            await asyncio.wait_for(self.all_arrived.wait(), 120)
        except TimeoutError:
            pass
        await asyncio.to_thread(done.wait, 60)
        cpu = {name: round(cpu_seconds(pid) - cpu_before[name], 1) for name, pid in self.pids().items()}
        client.close()
        response = outcome["response"]
        assert response.status_code == 200, response.text
        seen = sorted(self.arrivals.values())
        self.results["end_for_everyone"] = {
            "sessions": len(self.call_sessions) + 1,
            "clients_reached": len(seen),
            "request_ms": round(outcome["seconds"] * 1000, 1),
            "server_ms": int(response.headers["X-Bench-Time-Us"]) / 1000,
            "queries": int(response.headers["X-Bench-Queries"]),
            "first_ms": round(seen[0] * 1000, 1) if seen else None,
            "p50_ms": round(statistics.median(seen) * 1000, 1) if seen else None,
            "last_ms": round(seen[-1] * 1000, 1) if seen else None,
            "messages_received": self.received_messages,
            "megabytes_received": round(self.received_bytes / 1e6, 1),
            "cpu_seconds": cpu,
        }
        for ws in self.sockets:
            await ws.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- report ------------------------------------------------------------------------------

    def report(self) -> str:
        ping, idle, end = self.results["ping"], self.results["idle"], self.results["end_for_everyone"]
        pings = sum(n for p, n in idle["requests"].items() if p == BACKEND)
        other = {p: n for p, n in idle["requests"].items() if p != BACKEND}
        lines = [
            "| measurement | result |",
            "|---|---|",
            f"| backend `ping` of {self.args.ping_size} sessions ({ping['requests']} requests) | "
            f"{'/'.join(map(str, ping['queries']))} statements; server p50 {ping['server_ms']['p50']:.1f} ms, "
            f"p90 {ping['server_ms']['p90']:.1f} ms, p99 {ping['server_ms']['p99']:.1f} ms; round trip p50 "
            f"{ping['round_trip_ms']['p50']:.1f} ms |",
            f"| {self.args.clients} clients connected (hello + room join) | {idle['connect_seconds']} s |",
            f"| idle {idle['window_seconds']} s with {self.args.clients} clients in one room | "
            f"{sum(idle['requests'].values())} requests ({pings} backend pings, other: {other or 'none'}), "
            f"{sum(idle['queries'].values())} statements: per client between pings 0 requests, 0 statements |",
            f"| memory with {self.args.clients} clients | signaling server {idle['signaling_rss_mb']} MB, "
            f"app server {idle['app_rss_mb']} MB |",
            f"| end for everyone, {end['sessions']} sessions | request {end['request_ms']} ms "
            f"(server {end['server_ms']} ms, {end['queries']} statements); clients reached "
            f"{end['clients_reached']}/{self.args.clients}: first {end['first_ms']} ms, p50 {end['p50_ms']} ms, "
            f"last {end['last_ms']} ms; {end['messages_received']} messages, {end['megabytes_received']} MB "
            f"received in all; CPU seconds meanwhile: {end['cpu_seconds']} |",
        ]
        return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/talk_calls_bench_hpb")
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--ping-requests", type=int, default=200)
    parser.add_argument("--ping-size", type=int, default=200)
    parser.add_argument("--idle-seconds", type=int, default=35)
    parser.add_argument("--json")
    args = parser.parse_args()
    bench = Bench(args)
    try:
        bench.setup()
        bench.measure_ping()
        asyncio.run(bench.measure_clients())
    finally:
        bench.teardown()
    print(bench.report())
    if args.json:
        Path(args.json).write_text(json.dumps(bench.results, indent=2))


if __name__ == "__main__":
    main()
