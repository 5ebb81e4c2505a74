#!/usr/bin/env python
"""Internal signaling, measured: message latency and the cost of idle polls (issue 9).

    .venv/bin/python bench/signaling.py [--messages 1000] [--idle 1000] [--redis redis://127.0.0.1:6379/0]

1. Latency: the clock runs from before ``POST signaling/{token}`` to the waiting
   ``GET signaling/{token}`` returning the message, for ``--messages`` messages, with the
   in-memory layer on one uvicorn process, channels-redis on one, and channels-redis on two
   (sender on one process, receiver on the other). p50/p90/p99/max in milliseconds; also
   an empty request's round trip on the same server (the floor of any endpoint).
2. Idle polls: ``--idle`` guests in 100 public rooms each hold one waiting poll on one
   uvicorn process (in-memory layer); the server's RSS and threads before and while they
   wait, and the SQL statements the server runs during 10 s of waiting.

Everything runs on loopback with servers it starts itself on ports the OS picks, on a
fresh SQLite database in a temporary directory; Redis runs use their own key prefix and
delete their keys. Prints a Markdown table; ``--json FILE`` writes the numbers too.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
V4 = "/ocs/v2.php/apps/spreed/api/v4"
SIGNALING = "/ocs/v2.php/apps/spreed/api/v3/signaling"
HEADERS = {"OCS-APIRequest": "true", "Accept": "application/json"}
IDLE_ARRIVALS_PER_SECOND = 200
STARTED = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def env_for(database: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_URL")}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "DEBUG": "false", "PYTHONPATH": str(ROOT), **extra})
    env.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    return env


def prepare_database(directory: Path, idle: int) -> Path:
    """Migrate a fresh SQLite file; add 100 public rooms and ``idle`` guest sessions in them."""
    database = directory / "bench.sqlite3"
    env = env_for(database)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    script = f"""
import json
from django.contrib.sessions.backends.db import SessionStore
from talk_calls.access import Actor, TalkSessionMap
from talk_calls.constants import RoomType
from talk_calls.models import Room
from talk_calls.services.sessions import join_room
rooms = [Room.objects.create(token=f"benchroom{{i:03d}}", name=f"Bench {{i}}", type=RoomType.PUBLIC) for i in range(100)]
Room.objects.create(token="benchlatency", name="Latency", type=RoomType.PUBLIC)
keys = []
for i in range({idle}):
    store = SessionStore()
    join_room(rooms[i % 100].token, Actor(user=None, sessions=TalkSessionMap(store)))
    store.save()
    keys.append(store.session_key)
print(json.dumps(keys))
"""
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    (directory / "idle-keys.json").write_text(out.stdout.strip().splitlines()[-1])
    return database


@contextmanager
def servers(database: Path, count: int, app: str = "project.asgi:application", **extra):
    """Start ``count`` uvicorn processes; yield [(base_url, pid)]."""
    env = env_for(database, **extra)
    started = []
    try:
        for index in range(count):
            log = open(database.parent / f"uvicorn-{index}-{uuid.uuid4().hex[:6]}.log", "w+")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "0", "--no-access-log",
                 "--backlog", "4096", "--timeout-keep-alive", "60"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            started.append((process, log))
            deadline = time.monotonic() + 30
            while True:
                log.seek(0)
                found = STARTED.search(log.read())
                if found:
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"uvicorn did not start:\n{log.read()[-2000:]}")
                time.sleep(0.1)
        yield [(f"http://127.0.0.1:{STARTED.search(open(log.name).read()).group(1)}", p.pid) for p, log in started]
    finally:
        for process, log in started:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pick(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "p50": pick(0.50) * 1000,
        "p90": pick(0.90) * 1000,
        "p99": pick(0.99) * 1000,
        "max": ordered[-1] * 1000,
        "mean": statistics.fmean(ordered) * 1000,
    }


async def latency(sender_url: str, receiver_url: str, messages: int) -> dict:
    """Return the percentiles of POST-to-poll-answer latency, and of an empty request."""
    limits = httpx.Limits(max_connections=4)
    async with (
        httpx.AsyncClient(base_url=sender_url, headers=HEADERS, timeout=40, limits=limits) as sender,
        httpx.AsyncClient(base_url=receiver_url, headers=HEADERS, timeout=40, limits=limits) as receiver,
    ):
        sa = (await sender.post(f"{V4}/room/benchlatency/participants/active")).json()["ocs"]["data"]["sessionId"]
        sb = (await receiver.post(f"{V4}/room/benchlatency/participants/active")).json()["ocs"]["data"]["sessionId"]
        await sender.get(f"{SIGNALING}/benchlatency")
        await receiver.get(f"{SIGNALING}/benchlatency")
        samples, floor, after_post = [], [], []

        async def timed_poll():
            response = await receiver.get(f"{SIGNALING}/benchlatency")
            return response, time.perf_counter()

        for index in range(messages):
            poll = asyncio.ensure_future(timed_poll())
            await asyncio.sleep(0.02)  # let the poll reach its wait
            fn = json.dumps({"to": sb, "type": "candidate", "roomType": "video", "payload": {"n": index}})
            body = {"messages": json.dumps([{"ev": "message", "fn": fn, "sessionId": sa}])}
            started = time.perf_counter()
            posted = await sender.post(f"{SIGNALING}/benchlatency", json=body)
            posted_at = time.perf_counter()
            answer, answered_at = await poll
            samples.append(answered_at - started)
            after_post.append(max(0.0, answered_at - posted_at))
            entries = answer.json()["ocs"]["data"]
            got = [json.loads(e["data"])["payload"]["n"] for e in entries if e["type"] == "message"]
            if posted.status_code != 200 or got != [index]:
                raise RuntimeError(f"message {index}: POST {posted.status_code}, poll got {got}")
            if index % 10 == 0:
                started = time.perf_counter()
                await sender.get("/ocs/v2.php/cloud/capabilities")
                floor.append(time.perf_counter() - started)
        await sender.delete(f"{V4}/room/benchlatency/participants/active")
        await receiver.delete(f"{V4}/room/benchlatency/participants/active")
    return {
        "latency": percentiles(samples),
        "answer_after_post_returned": percentiles(after_post),
        "capabilities_round_trip": percentiles(floor),
    }


def proc_status(pid: int) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "Threads"):
            fields[key] = int(value.split()[0])
    return {"rss_mb": round(fields["VmRSS"] / 1024, 1), "threads": fields["Threads"]}


async def idle_polls(base_url: str, pid: int, keys: list[str], wait: float) -> dict:
    """Hold one waiting poll per session key; return memory, threads and queries while they wait."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as probe:

        async def queries():
            return (await probe.get("/__bench__/queries")).json()["queries"]

        before = proc_status(pid)
        limits = httpx.Limits(max_connections=len(keys) + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base_url, headers=HEADERS, timeout=60, limits=limits) as client:

            async def poll(key, token):
                response = await client.get(f"{SIGNALING}/{token}", cookies={"sessionid": key})
                return response.status_code

            tokens = json.loads((Path(os.environ["BENCH_DIR"]) / "idle-tokens.json").read_text())
            started = time.perf_counter()
            tasks = []
            for key in keys:  # clients arrive over time, not all in one instant: 200 per second
                tasks.append(asyncio.ensure_future(poll(key, tokens[key])))
                await asyncio.sleep(1 / IDLE_ARRIVALS_PER_SECOND)
            # Wait until every poll has passed its first step: the query count stops moving.
            last, steady = -1, 0
            while steady < 3:
                await asyncio.sleep(1)
                current = await queries()
                steady = steady + 1 if current == last else 0
                last = current
            ramp = time.perf_counter() - started
            waiting_done = sum(task.done() for task in tasks)
            q1, during = await queries(), proc_status(pid)
            await asyncio.sleep(wait)
            q2, after = await queries(), proc_status(pid)
            statuses = await asyncio.gather(*tasks)
        return {
            "polls": len(keys),
            "answered_early": waiting_done,
            "ramp_s": round(ramp, 1),
            "rss_before_mb": before["rss_mb"],
            "rss_waiting_mb": max(during["rss_mb"], after["rss_mb"]),
            "threads_before": before["threads"],
            "threads_waiting": during["threads"],
            "queries_while_waiting": q2 - q1,
            "wait_observed_s": wait,
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        }


def redis_ok(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
        return True
    except Exception as error:
        print(f"Redis at {url}: {error}", file=sys.stderr)
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="talk-signaling-bench-") as tmp:
        directory = Path(tmp)
        os.environ["BENCH_DIR"] = tmp
        print(f"preparing a database with {args.idle} idle guest sessions…", file=sys.stderr)
        database = prepare_database(directory, args.idle)
        keys = json.loads((directory / "idle-keys.json").read_text())
        script = "import json; from talk_calls.models import Session; print(json.dumps({s.django_session_key: s.room.token for s in Session.objects.select_related('room')}))"
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env_for(database),
                             check=True, capture_output=True, text=True)  # fmt: skip
        (directory / "idle-tokens.json").write_text(out.stdout.strip().splitlines()[-1])

        runs = [("in-memory layer, 1 process", 1, {})] if args.messages else []
        if not args.messages:
            pass
        elif redis_ok(args.redis):
            prefix = f"talk_calls_bench_{uuid.uuid4().hex[:8]}"
            layer = {"CHANNEL_LAYER_URL": args.redis, "CHANNEL_LAYER_PREFIX": prefix}
            runs += [("Redis layer, 1 process", 1, layer), ("Redis layer, 2 processes", 2, layer)]
        else:
            print(f"Redis not answering at {args.redis}: Redis runs skipped", file=sys.stderr)
        for name, count, extra in runs:
            print(f"latency: {name}, {args.messages} messages…", file=sys.stderr)
            with servers(database, count, **extra) as urls:
                results[name] = asyncio.run(latency(urls[0][0], urls[-1][0], args.messages))
        if len(runs) > 1:
            import redis  # channels-redis depends on it

            client = redis.Redis.from_url(args.redis)
            stale = list(client.scan_iter(f"{runs[1][2]['CHANNEL_LAYER_PREFIX']}*"))
            if stale:
                client.delete(*stale)

        if args.idle:
            print(f"idle: {args.idle} waiting polls on one process…", file=sys.stderr)
            with servers(database, 1, app="bench.signaling_asgi:application") as [(url, pid)]:
                results["idle"] = asyncio.run(idle_polls(url, pid, keys, wait=10))

    print(
        "| run | messages | p50 ms | p90 ms | p99 ms | max ms | after POST returned p50/p99 ms | GET capabilities p50 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, _count, _extra in runs:
        lat, floor = results[name]["latency"], results[name]["capabilities_round_trip"]
        wake = results[name]["answer_after_post_returned"]
        print(f"| {name} | {lat['n']} | {lat['p50']:.1f} | {lat['p90']:.1f} | {lat['p99']:.1f} | {lat['max']:.1f} | "
              f"{wake['p50']:.1f} / {wake['p99']:.1f} | {floor['p50']:.1f} |")  # fmt: skip
    if "idle" in results:
        idle = results["idle"]
        print()
        print(
            "| idle polls | RSS before MB | RSS waiting MB | threads before | threads waiting | SQL while waiting (10 s) | answers |"
        )
        print("|---|---|---|---|---|---|---|")
        print(f"| {idle['polls']} | {idle['rss_before_mb']} | {idle['rss_waiting_mb']} | {idle['threads_before']} | "
              f"{idle['threads_waiting']} | {idle['queries_while_waiting']} | {idle['statuses']} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
