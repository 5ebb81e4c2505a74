"""``make bench``: seed a PostgreSQL database, start the demo site under a production server,
drive it from wrk and the cadence generator on loopback, then run the internal signaling and
HPB benches (short settings); print and write the tables.

Configuration (environment; ``make bench VAR=value`` passes them through):

``BENCH_PG_URL``       PostgreSQL URL of the bench database, created and dropped here
                       (default postgres://postgres@127.0.0.1:5432/talk_calls_bench)
``BENCH_SERVER``       server command; ``{python}``, ``{workers}``, ``{fd}`` (a listening socket
                       the server inherits) are filled in. Default: gunicorn, sync workers.
                       ASGI: ``{python} -m gunicorn -k uvicorn.workers.UvicornWorker
                       --workers {workers} --bind fd://{fd} project.asgi:application``
``BENCH_WORKERS``      worker processes (2)
``BENCH_SECONDS``      measured seconds per closed-loop case (10); ``BENCH_WARMUP`` (2) before
``BENCH_CONNECTIONS``  wrk connections (4)
``BENCH_SIZES``        live sessions of the ``GET /call`` rooms (10,100,1000,5000)
``BENCH_CASES``        comma list of case name prefixes to run (all); the baseline always runs
``BENCH_CACHE_URL``    the server's ``CACHE_URL``; default a private redis-server started here
``BENCH_SESSION_ENGINE`` the server's ``SESSION_ENGINE`` (default: the demo's own choice)
``BENCH_END_REPEAT``   end-for-everyone requests per size (10)
``BENCH_CADENCE_STEPS`` participants per cadence step (100,200,300,450,600,800,1000,1250,1500);
                       stops after the first step whose p99 is over 100 ms or that had a failure
``BENCH_CADENCE_SECONDS`` seconds per cadence step (15)
``BENCH_CADENCE_CONNECTIONS`` the cadence generator's keep-alive connections at most (256)
``BENCH_SIGNALING_MESSAGES``, ``BENCH_SIGNALING_IDLE``  ``bench/signaling.py``'s ``--messages``
                       (100) and ``--idle`` (200); ``BENCH_HPB_CLIENTS`` ``bench/hpb.py``'s
                       ``--clients`` (200). ``BENCH_CASES=signaling`` or ``hpb`` selects them;
                       a part whose binaries are missing is skipped with a line saying so
``BENCH_OUT``          where the table is written (bench/results/latest.md)
"""

import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit, urlunsplit

from .cadence import offered_rate, run_step
from .proc import CPUMeter, machine_cpu

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "lua" / "bench.lua"
V4 = "/ocs/v2.php/apps/spreed/api/v4"
P99_LIMIT_MS = 100.0
DEFAULT_SERVER = (
    "{python} -m gunicorn --workers {workers} --worker-class sync --bind fd://{fd} --timeout 120"
    " --graceful-timeout 5 project.wsgi:application"
)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_list(name: str, default: str) -> list[int]:
    return [int(value) for value in (os.environ.get(name) or default).split(",") if value.strip()]


@dataclass
class Row:
    case: str
    requests: int = 0
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    queries: float | None = None
    server_ms: float | None = None
    cpu_ms: float | None = None
    rss: tuple[float, float] | None = None
    bad: int = 0
    note: str = ""
    extra: dict = field(default_factory=dict)


#: RSS growth after the largest answers that still counts as flat (fraction, and MB).
FLAT_FRACTION, FLAT_MB = 0.05, 10.0


def rss_verdict(points: list[tuple[str, float, float]], start: float, end: float, settle: str | None) -> str:
    """Judge whether the workers' memory stayed flat over the run.

    ``points`` are ``(case, MB before, MB after)`` in run order, ``start`` and ``end`` the
    workers' RSS after start-up and at the end. Python keeps the arenas of the largest answer
    it has built, so RSS grows while the first very large answers are built: the run is flat
    when, from the end of case ``settle`` (the largest answer; the first case when None) to
    the end, RSS grows by at most ``FLAT_FRACTION`` and ``FLAT_MB``."""
    if not points:
        return f"{start:.0f} MB → {end:.0f} MB: no case ran"
    index = next((i for i, (case, _, _) in enumerate(points) if case == settle), 0)
    settled = points[index][2]
    rest = points[index + 1 :]
    peak = max([start, end, *(value for _, before, after in points for value in (before, after))])
    growth = end - settled
    flat = growth <= max(FLAT_MB, FLAT_FRACTION * settled)
    verdict = "flat" if flat else "NOT flat"
    return (
        f"{start:.0f} MB after start-up → {end:.0f} MB at the end (peak {peak:.0f} MB); "
        f"{points[index][1]:.0f} → {settled:.0f} MB over “{points[index][0]}”, then {growth:+.0f} MB "
        f"over the {len(rest)} later cases: **{verdict}** (flat: at most +{FLAT_FRACTION:.0%} "
        f"or +{FLAT_MB:.0f} MB after the largest answer)"
    )


def cpu_capacity(cpu_ms_per_request: float, cores: int, share: float = 0.7) -> int:
    """Participants of the cadence that ``share`` of ``cores`` can serve at a CPU cost per
    request of ``cpu_ms_per_request`` (workers plus PostgreSQL), whatever else the machine runs."""
    if cpu_ms_per_request <= 0:
        return 0
    return round(share * cores * 1000 / (cpu_ms_per_request * offered_rate(1)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"bench: {what} did not come up within {timeout:.0f} s")


class Redis:
    """A private redis-server on a free port, for the server's cache and sessions."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(answers, 10, "redis-server")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class Database:
    """The bench database: created fresh, dropped at the end."""

    def __init__(self, url: str):
        import psycopg

        self.url = url
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/")
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self._psycopg = psycopg
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.name}"')

    def _execute(self, sql: str) -> None:
        with self._psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Server:
    """The site under the configured server command, listening on an inherited socket."""

    def __init__(self, command: str, workers: int, env: dict, log: Path):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(2048)
        self.listener.set_inheritable(True)
        self.port = self.listener.getsockname()[1]
        fd = self.listener.fileno()
        self.command = command.format(python=shlex.quote(sys.executable), workers=workers, fd=fd)
        self.log = log.open("w")
        self.process = subprocess.Popen(
            shlex.split(self.command),
            cwd=ROOT,
            env=env,
            pass_fds=(fd,),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers = workers

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.listener.close()
        self.log.close()


def http(server: Server, method: str, path: str, cookie: str, body: dict | None = None):
    """Send one request; return (status, headers, body bytes, seconds)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.url(path), data=data, method=method)
    request.add_header("OCS-APIRequest", "true")
    request.add_header("Cookie", cookie)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = response.read()
            return response.status, response.headers, payload, time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read(), time.perf_counter() - started


class Bench:
    def __init__(self):
        self.seconds = env_int("BENCH_SECONDS", 10)
        self.warmup = env_int("BENCH_WARMUP", 2)
        self.connections = env_int("BENCH_CONNECTIONS", 4)
        self.workers = env_int("BENCH_WORKERS", 2)
        self.sizes = env_list("BENCH_SIZES", "10,100,1000,5000")
        self.cases = [name for name in (os.environ.get("BENCH_CASES") or "").split(",") if name]
        self.end_repeat = env_int("BENCH_END_REPEAT", 10)
        self.cadence_steps = env_list("BENCH_CADENCE_STEPS", "100,200,300,450,600,800,1000,1250,1500")
        self.cadence_seconds = env_int("BENCH_CADENCE_SECONDS", 15)
        self.cadence_connections = env_int("BENCH_CADENCE_CONNECTIONS", 256)
        self.signaling_messages = env_int("BENCH_SIGNALING_MESSAGES", 100)
        self.signaling_idle = env_int("BENCH_SIGNALING_IDLE", 200)
        self.hpb_clients = env_int("BENCH_HPB_CLIENTS", 200)
        self.bin_path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        self.cadence_steps_done: list[dict] = []
        self.cycle_users = env_int("BENCH_CYCLE_USERS", 200)
        self.out = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "results" / "latest.md")
        self.rows: list[Row] = []
        self.redis: Redis | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="talk-calls-bench-"))

    def wanted(self, name: str) -> bool:
        return not self.cases or any(name.startswith(prefix) for prefix in self.cases)

    # -- set-up ---------------------------------------------------------------------------

    def setup(self):
        started = time.monotonic()
        cache_url = os.environ.get("BENCH_CACHE_URL")
        if not cache_url:
            if shutil.which("redis-server"):
                self.redis = Redis(self.workdir)
                cache_url = self.redis.url
            else:
                cache_url = "locmemcache://"
        self.db = Database(os.environ.get("BENCH_PG_URL") or "postgres://postgres@127.0.0.1:5432/talk_calls_bench")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": self.db.url,
            "CACHE_URL": cache_url,
            "DEBUG": "0",
            # DEBUG off refuses the demo's public key; this one lives as long as the run.
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + secrets.token_hex(32),
            "CONN_MAX_AGE": "600",
            "TALK_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        if os.environ.get("BENCH_SESSION_ENGINE"):
            self.env["SESSION_ENGINE"] = os.environ["BENCH_SESSION_ENGINE"]
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        self.settings = settings
        call_command("migrate", verbosity=0)
        self.seed()
        self.setup_seconds = time.monotonic() - started
        self.server = Server(
            os.environ.get("BENCH_SERVER") or DEFAULT_SERVER, self.workers, self.env, self.workdir / "server.log"
        )
        probe = f"/bench/baseline/{self.rooms[0].room.token}"

        def ready():
            if self.server.process.poll() is not None:
                raise SystemExit(f"bench: the server exited; see {self.server.log.name}")
            try:
                return http(self.server, "GET", probe, self.rooms[0].cookies[0])[0] == 200
            except OSError:
                return False

        wait_until(ready, 60, "the server")
        from django.db import connection

        self.cursor = connection.cursor()
        self.cursor.execute("SHOW server_version")
        self.pg_version = self.cursor.fetchone()[0]
        self.meter = CPUMeter(self.server.process.pid, self.cursor, self.db.name)
        self.rss_start = self.meter.worker_rss()
        self.pids_start = self.meter.worker_pids()

    def seed(self):
        from .seed import seed_room

        started = time.monotonic()
        self.rooms = [seed_room(f"benchcall{size}", clients=1, peers=size - 1) for size in self.sizes]
        self.by_size = dict(zip(self.sizes, self.rooms, strict=True))
        self.cycles = seed_room("benchcycles", clients=self.cycle_users, peers=0, in_call=False)
        steps = self.cadence_steps if self.wanted("cadence") else []
        self.cadence = seed_room("benchcadence", clients=max(steps), peers=0) if steps else None
        print(f"seeded in {time.monotonic() - started:.1f} s", flush=True)

    def teardown(self):
        from django.db import connections

        for step in (
            lambda: hasattr(self, "server") and self.server.stop(),
            lambda: connections.close_all(),
            lambda: hasattr(self, "db") and self.db.drop(),
        ):
            try:
                step()
            except Exception as error:  # noqa: BLE001 - clean up as much as possible
                print(f"bench: clean-up step failed: {error}", file=sys.stderr)

    # -- measuring ------------------------------------------------------------------------

    def refresh(self):
        from .seed import refresh_calls

        refresh_calls([*self.rooms, self.cycles] + ([self.cadence] if self.cadence else []))

    def wrk(self, path: str, cookies: list[str], *, method="GET", body=None, mode="single", seconds=None):
        cookie_file = self.workdir / "cookies.txt"
        cookie_file.write_text("\n".join(cookies) + "\n")
        env = {
            **os.environ,
            "BENCH_METHOD": method,
            "BENCH_PATH": path,
            "BENCH_BODY": json.dumps(body) if body is not None else "",
            "BENCH_MODE": mode,
            "BENCH_COOKIES": str(cookie_file),
        }
        command = [
            "wrk",
            "-t1",
            f"-c{self.connections}",
            f"-d{seconds or self.seconds}s",
            "-s",
            str(LUA),
            self.server.url(""),
        ]
        output = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=(seconds or self.seconds) + 60
        )
        for line in output.stdout.splitlines():
            if line.startswith("BENCH_RESULT "):
                return json.loads(line.removeprefix("BENCH_RESULT "))
        raise SystemExit(f"bench: wrk gave no result:\n{output.stdout}\n{output.stderr}")

    def session_updates(self) -> tuple[int, int]:
        """Return PostgreSQL's (updates, HOT updates) of the session table so far."""
        time.sleep(1.2)  # backends flush their statistics at most once a second
        self.cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'talk_calls_session'"
        )
        return self.cursor.fetchone()

    def closed_loop(self, name: str, path: str, cookies: list[str], *, method="GET", body=None, mode="single", note=""):
        if not (name == "baseline" or self.wanted(name)):
            return
        self.refresh()
        if self.warmup:
            self.wrk(path, cookies, method=method, body=body, mode=mode, seconds=self.warmup)
        self.refresh()
        updates_before = self.session_updates() if method == "PUT" else None
        rss_before = sum(self.meter.worker_rss())
        before = self.meter.sample()
        result = self.wrk(path, cookies, method=method, body=body, mode=mode)
        after = self.meter.sample()
        if updates_before is not None:
            updates, hot = (end - start for start, end in zip(updates_before, self.session_updates(), strict=True))
            note = (note + " " if note else "") + f"HOT updates {hot}/{updates}"
        workers, backends = self.meter.delta(before, after)
        methods = result["methods"]
        responses = sum(entry["responses"] for entry in methods.values()) or 1
        row = Row(
            case=name,
            requests=result["requests"],
            rps=result["requests"] / (result["duration_us"] / 1e6),
            p50_ms=result["p50_us"] / 1000,
            p99_ms=result["p99_us"] / 1000,
            queries=sum(entry["queries"] for entry in methods.values()) / responses,
            server_ms=sum(entry["server_us"] for entry in methods.values()) / responses / 1000,
            cpu_ms=(workers + backends) * 1000 / responses,
            rss=(rss_before, sum(self.meter.worker_rss())),
            bad=sum(entry["bad"] for entry in methods.values()) + result["errors"],
            note=note,
            extra={"app_cpu_ms": workers * 1000 / responses, "pg_cpu_ms": backends * 1000 / responses},
        )
        if len(methods) > 1:
            row.note = (note + " " if note else "") + ", ".join(
                f"{key} {entry['queries'] / max(entry['responses'], 1):.1f} q" for key, entry in sorted(methods.items())
            )
        self.report(row)

    def end_for_everyone(self, size: int):
        from .seed import restart_call

        bench = self.by_size[size]
        token = bench.room.token
        latencies, server, queries, bad = [], [], [], 0
        rss_before = sum(self.meter.worker_rss())
        spent = [0.0, 0.0]
        for _ in range(self.end_repeat):
            restart_call(bench)
            before = self.meter.sample()
            status, headers, _, seconds = http(
                self.server, "DELETE", f"{V4}/call/{token}", bench.cookies[0], {"all": True}
            )
            after = self.meter.sample()
            for index, value in enumerate(self.meter.delta(before, after)):
                spent[index] += value
            bad += status != 200
            latencies.append(seconds * 1000)
            server.append(int(headers.get("X-Bench-Time-Us", 0)) / 1000)
            queries.append(int(headers.get("X-Bench-Queries", 0)))
        latencies.sort()
        self.report(
            Row(
                case=f"end for everyone, {size} in call",
                requests=len(latencies),
                p50_ms=median(latencies),
                p99_ms=latencies[-1],
                queries=sum(queries) / len(queries),
                server_ms=median(server),
                cpu_ms=sum(spent) * 1000 / len(latencies),
                rss=(rss_before, sum(self.meter.worker_rss())),
                bad=bad,
                note=f"{self.end_repeat} sequential requests; p99 column: slowest",
            )
        )

    def cadence_case(self):
        from .seed import restart_call

        bench = self.cadence
        held = 0
        cores = os.cpu_count() or 1
        for count in self.cadence_steps:
            restart_call(bench, in_call=count)
            rss_before = sum(self.meter.worker_rss())
            before = self.meter.sample()
            machine_before = machine_cpu()
            step = run_step(
                "127.0.0.1",
                self.server.port,
                bench.room.token,
                bench.cookies[:count],
                self.cadence_seconds,
                self.cadence_connections,
            )
            after = self.meter.sample()
            machine_after = machine_cpu()
            workers, backends = self.meter.delta(before, after)
            busy = machine_after[0] - machine_before[0]
            total = (machine_after[1] - machine_before[1]) or 1.0
            summary = step.summary
            summary.update(
                participants=count,
                server_share=(workers + backends) / (step.wall * cores),
                server_cpu_ms=(workers + backends) * 1000 / max(len(step.results), 1),
                pg_cpu_ms=backends * 1000 / max(len(step.results), 1),
                # Everything else that ran on the machine meanwhile: other work on a shared box.
                other_share=max(0.0, busy - workers - backends - step.generator_cpu) / total,
                rss=(rss_before, sum(self.meter.worker_rss())),
                opened=step.opened,
                reused=step.reused,
            )
            summary["cpu_capacity"] = cpu_capacity(summary["server_cpu_ms"], cores)
            self.cadence_steps_done.append(summary)
            print(self.format_cadence(summary), flush=True)
            if summary["p99_ms"] > P99_LIMIT_MS or summary["non_2xx"]:
                break
            held = count
        self.cadence_held = held

    CADENCE_HEADER = (
        "| participants | offered req/s | achieved req/s | p50 / p99 ms | ping p50 / p99 | room p50 / p99 "
        "| call p50 / p99 | non-2xx | server CPU, share of the machine | other processes' share "
        "| server CPU ms/req (of it PostgreSQL) "
        "| worker ms/req "
        "| generator CPU ms/req (share of a core) | generator lag p99 ms | connections opened / reused "
        "| worker RSS MB before → after |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
    )

    @staticmethod
    def format_cadence(step: dict) -> str:
        kinds = step["kinds"]

        def pair(kind):
            entry = kinds.get(kind)
            return "-" if entry is None else f"{entry['p50_ms']:,.0f} / {entry['p99_ms']:,.0f}"

        bad = ", ".join(f"{status}: {n}" for status, n in step["non_2xx"].items()) or "0"
        return (
            f"| {step['participants']:,} | {step['offered_rps']:.0f} | {step['achieved_rps']:.0f} "
            f"| {step['p50_ms']:,.1f} / {step['p99_ms']:,.1f} | {pair('ping')} | {pair('room')} | {pair('call')} "
            f"| {bad} | {step['server_share']:.0%} | {step['other_share']:.0%} "
            f"| {step['server_cpu_ms']:.2f} ({step['pg_cpu_ms']:.2f}) "
            f"| {step['server_ms']:.1f} "
            f"| {step['generator_cpu_ms']:.2f} ({step['generator_core']:.0%}) | {step['lag_p99_ms']:.1f} "
            f"| {step['opened']:,} / {step['reused']:,} | {step['rss'][0]:.0f} → {step['rss'][1]:.0f} |"
        )

    def run(self):
        started = time.monotonic()
        self.load = [Path("/proc/loadavg").read_text().split()[0], "?"]
        try:
            try:
                self.setup()
                self.run_cases()
            finally:
                self.teardown()
            self.other_parts()
        finally:
            if self.redis:
                self.redis.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.total_seconds = time.monotonic() - started
        self.load[1] = Path("/proc/loadavg").read_text().split()[0]
        self.write()

    def run_cases(self):
        first = self.by_size.get(100, self.rooms[0])
        self.closed_loop("baseline", f"/bench/baseline/{first.room.token}", first.cookies)
        for size, bench in self.by_size.items():
            self.closed_loop(f"GET /call, {size} in call", f"{V4}/call/{bench.room.token}", bench.cookies)
        self.closed_loop(
            f"GET room/{{token}}, {first.size} in call",
            f"{V4}/room/{first.room.token}",
            first.cookies,
        )
        self.closed_loop(
            f"PUT /call (ping, same flags), {first.size} in call",
            f"{V4}/call/{first.room.token}",
            first.cookies,
            method="PUT",
            body={"flags": 7},
        )
        self.closed_loop(
            f"join + leave, {self.cycle_users} users",
            f"{V4}/call/{self.cycles.room.token}",
            self.cycles.cookies,
            body={"flags": 7},
            mode="joinleave",
        )
        if self.wanted("end"):
            for size in self.sizes:
                if size >= 100:
                    self.end_for_everyone(size)
        if self.cadence is not None:
            self.cadence_case()
        self.rss_end = self.meter.worker_rss()
        self.pids_end = self.meter.worker_pids()

    def other_parts(self):
        """Run the internal signaling (issue 7) and HPB (issue 8) benches with short
        settings, after the call API's server has stopped; keep their tables."""
        self.parts: list[tuple[str, str]] = []
        parts = [
            (
                "signaling",
                "Internal signaling (`bench/signaling.py`)",
                ["uvicorn"],
                [
                    "bench/signaling.py",
                    *("--messages", str(self.signaling_messages), "--idle", str(self.signaling_idle)),
                    *(("--redis", self.redis.url.removesuffix("/0") + "/1") if self.redis else ()),
                ],
            ),
            (
                "hpb",
                "High-Performance Backend (`bench/hpb.py`, Debian's signaling server)",
                ["nextcloud-spreed-signaling-server"],
                [
                    "bench/hpb.py",
                    *("--pg-url", self.db.url + "_hpb", "--clients", str(self.hpb_clients)),
                    *("--ping-requests", "50", "--ping-size", "200", "--idle-seconds", "12"),
                ],
            ),
        ]
        for name, title, binaries, argv in parts:
            if not self.wanted(name):
                continue
            missing = [binary for binary in binaries if not shutil.which(binary, path=self.bin_path)]
            if missing:
                text = f"Skipped: {', '.join(missing)} not installed (`.ci/ensure-services` installs it)."
                self.parts.append((title, text))
                print(f"{title}: {text}", flush=True)
                continue
            print(f"{title}: `{' '.join(argv)}`…", flush=True)
            started = time.monotonic()
            env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "CACHE_URL")}
            try:
                done = subprocess.run(
                    [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
                )
            except subprocess.TimeoutExpired:
                self.parts.append((title, "Failed: no answer within 600 s."))
                continue
            seconds = time.monotonic() - started
            if done.returncode:
                text = f"Failed (exit {done.returncode}):\n\n```\n{(done.stdout + done.stderr)[-3000:]}\n```"
            else:
                text = f"`python {' '.join(argv)}` ({seconds:.0f} s):\n\n{done.stdout.strip()}"
                skipped = [line for line in done.stderr.splitlines() if "skipped" in line]
                if skipped:
                    text += "\n\n" + "\n".join(f"- {line}" for line in skipped)
            text = text.replace(self.redis.url.removesuffix("/0") + "/1", "redis://…") if self.redis else text
            self.parts.append((title, text))
            print(text, flush=True)

    # -- output ---------------------------------------------------------------------------

    def report(self, row: Row) -> None:
        self.rows.append(row)
        print(self.format_row(row), flush=True)

    def baseline(self) -> Row | None:
        return next((row for row in self.rows if row.case == "baseline"), None)

    def format_row(self, row: Row) -> str:
        base = self.baseline()

        def num(value, digits=1):
            return "-" if value is None else f"{value:,.{digits}f}"

        ratio = cpu_ratio = "-"
        if base is not None and row.rps and base.rps:
            ratio = f"{row.rps / base.rps:.2f}"
        if base is not None and row.cpu_ms and base.cpu_ms:
            cpu_ratio = f"{base.cpu_ms / row.cpu_ms:.2f}"
        rss = "-" if row.rss is None else f"{row.rss[0]:.0f} → {row.rss[1]:.0f}"
        return (
            f"| {row.case} | {num(row.rps, 0)} | {num(row.p50_ms)} | {num(row.p99_ms)} | {num(row.queries)} "
            f"| {num(row.server_ms, 2)} | {num(row.cpu_ms, 2)} | {ratio} | {cpu_ratio} | {rss} | {row.bad} | {row.note} |"
        )

    HEADER = (
        "| case | req/s | p50 ms | p99 ms | queries/req | server ms/req | CPU ms/req | × baseline req/s "
        "| × baseline CPU | worker RSS MB before → after | non-2xx | notes |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"
    )

    def machine(self) -> list[str]:
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            platform.processor(),
        )
        import django

        return [
            f"- machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}",
            f"- Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {self.pg_version}",
            f"- server: `{self.server.command.split(' -m ', 1)[-1]}` ({self.workers} workers), "
            f"SESSION_ENGINE `{self.settings.SESSION_ENGINE}`, cache `{self.settings.CACHES['default']['BACKEND']}`",
            f"- load: wrk -t1 -c{self.connections}, {self.seconds} s per case after {self.warmup} s warm-up; "
            f"cadence steps of {self.cadence_seconds} s",
            f"- set-up (migrate + seed) {self.setup_seconds:.0f} s, whole run {self.total_seconds:.0f} s",
            f"- machine load (1-minute load average) at the start {self.load[0]}, at the end {self.load[1]}: "
            "other work on a shared machine slows every wall-clock figure; CPU per request moves less",
        ]

    def cadence_cpu_capacity(self) -> str:
        values = sorted(step["cpu_capacity"] for step in self.cadence_steps_done)
        if not values:
            return "-"
        return f"{values[0]:,}" if values[0] == values[-1] else f"{values[0]:,} to {values[-1]:,}"

    def rss_summary(self) -> str:
        points = [(row.case, *row.rss) for row in self.rows if row.rss]
        points += [(f"cadence, {step['participants']} in call", *step["rss"]) for step in self.cadence_steps_done]
        largest = max((size for size in self.sizes if self.wanted(f"GET /call, {size}")), default=None)
        text = rss_verdict(
            points,
            sum(self.rss_start),
            sum(getattr(self, "rss_end", []) or [0]),
            f"GET /call, {largest} in call" if largest else None,
        )
        if getattr(self, "pids_end", self.pids_start) != self.pids_start:
            text += "; a worker was replaced during the run (pids changed), so the figures mix processes"
        return text

    def cadence_by_cpu(self) -> str:
        """Return the cadence case estimated from the closed-loop CPU costs: what a shared
        machine's noise does to open-loop latency, it does less to CPU per request."""

        def cpu(prefix):
            return next((row.cpu_ms for row in self.rows if row.case.startswith(prefix) and row.cpu_ms), None)

        ping, room = cpu("PUT /call (ping"), cpu("GET room/")
        size = max((size for size in self.sizes if size <= 1000), default=None)
        call = cpu(f"GET /call, {size} in call") if size else None
        if None in (ping, room, call):
            return ""
        per_participant = ping / 5 + (room + call) / 15  # CPU ms per participant per second
        cores = os.cpu_count() or 1
        return (
            f"Cadence by CPU (closed-loop costs, `GET /call` at {size} peers): one participant costs "
            f"{per_participant:.2f} ms of CPU per second; 1,000 need {per_participant:.2f} cores of {cores}; "
            f"{cores} cores at 70 % hold about {0.7 * cores * 1000 / per_participant:,.0f}."
        )

    def write(self) -> None:
        lines = ["# Latest `make bench`", "", *self.machine(), "", self.HEADER, *map(self.format_row, self.rows), ""]
        if self.cadence is not None:
            lines += [
                f"Cadence (open loop, {self.cadence_seconds} s per step, at most {self.cadence_connections} "
                "keep-alive connections; latency from the scheduled send time; CPU from `/proc`):",
                "",
                self.CADENCE_HEADER,
                *map(self.format_cadence, self.cadence_steps_done),
                "",
                f"Cadence: held {getattr(self, 'cadence_held', 0):,} participants with p99 < {P99_LIMIT_MS:.0f} ms "
                "and no failure (the last step shown is the first that was not held, unless every step was). "
                "By CPU (whatever else the machine runs): at the CPU per request measured in the steps, "
                f"{self.cadence_cpu_capacity()} participants fit in 70 % of the {os.cpu_count()} cores.",
                "",
            ]
        lines.append(self.cadence_by_cpu())
        lines.append("")
        lines.append(f"Worker RSS over the whole run ({self.workers} workers): {self.rss_summary()}.")
        lines.append("")
        for title, text in getattr(self, "parts", []):
            lines += [f"## {title}", "", text, ""]
        text = "\n".join(lines)
        print("\n" + text)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(text)
        print(f"written to {self.out}")


if __name__ == "__main__":
    Bench().run()
