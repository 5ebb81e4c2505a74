"""Real ASGI servers for the cross-process and browser tests: uvicorn processes of the demo
project on a demo database of their own (an SQLite file made by ``migrate`` and ``demo``).

The servers never share pytest's test database (an in-memory SQLite one cannot be
shared): they are driven over HTTP only. Each binds a port the OS picks (``--port 0``).
"""

import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STARTED = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def redis_available() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


def require_redis() -> str:
    """Return the Redis URL of the tests; skip without Redis, fail under ``CI=true``."""
    if not redis_available():
        message = f"Redis is not answering at {REDIS_URL} (.ci/ensure-services starts it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return REDIS_URL


def unique_prefix() -> str:
    """A channel-layer key prefix of its own: Redis is shared by every test run on the machine."""
    return f"talk_calls_test_{uuid.uuid4().hex[:12]}"


def base_env(database: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_URL")}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "DEBUG": "true", "PYTHONUNBUFFERED": "1", **extra})
    return env


def make_demo_database(directory: Path) -> Path:
    """Create an SQLite file with the schema and the demo data; return its path."""
    database = directory / "demo.sqlite3"
    env = base_env(database)
    for command in (["migrate", "--noinput"], ["demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
        )
    return database


@contextmanager
def asgi_servers(database: Path, count: int = 1, **env_extra):
    """Start ``count`` uvicorn processes of the demo site; yield their base URLs; stop them."""
    processes, urls = [], []
    env = base_env(database, **env_extra)
    try:
        for index in range(count):
            log = open(database.parent / f"uvicorn-{index}-{uuid.uuid4().hex[:6]}.log", "w+")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "project.asgi:application", "--host", "127.0.0.1", "--port", "0",
                 "--log-level", "info", "--no-access-log"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            processes.append((process, log))
            urls.append(_wait_started(process, log))
        yield urls
    finally:
        for process, _log in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _wait_started(process, log, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        found = STARTED.search(log.read())
        if found:
            return f"http://127.0.0.1:{found.group(1)}"
        if process.poll() is not None:
            break
        time.sleep(0.1)
    log.seek(0)
    raise RuntimeError(f"uvicorn did not start:\n{log.read()[-3000:]}")


def flush_prefix(prefix: str) -> None:
    """Delete the keys a test run left under its prefix."""
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
