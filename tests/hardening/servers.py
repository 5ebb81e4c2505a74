"""Real server processes for the hardening tests: gunicorn on the test database.

``GunicornServer`` starts ``project.wsgi`` (or, with ``asgi=True``, ``project.asgi`` in
uvicorn workers), behind the request-head guard, on a free port,
with ``DEBUG=0`` and the database of the running test (PostgreSQL: the servers and the test
share it), and stops it (process group) when done. Extra environment (``TALK_THROTTLES``,
``CACHE_URL``) configures it.
"""

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from ..factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url() -> str:
    """Return a DATABASE_URL for the database the running test uses (PostgreSQL only)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}"


class GunicornServer:
    def __init__(self, *, workers=2, threads=4, env=None, asgi=False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TALK_")},
            "DJANGO_SETTINGS_MODULE": "tests.hardening.server_settings",
            "DATABASE_URL": test_database_url(),
            "DEBUG": "0",
            "SECRET_KEY": "hardening-tests-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TALK_THROTTLES": json.dumps({}),
            **(env or {}),
        }
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "project.asgi:application" if asgi else "project.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "uvicorn_worker.UvicornWorker" if asgi else "gthread",
            "--graceful-timeout",
            "2",
            "--timeout",
            "60",
        ]
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start in 30 s")

    def worker_pids(self) -> list[int]:
        """Return the pids of the gunicorn workers (children of the master), from /proc."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __exit__(self, *exc):
        self.stop()
        # Connections the server held are gone; the test's own connection is untouched.
        return False


class HttpActor:
    """An HTTP client identity against a server: Basic credentials and/or the cookies it was
    given (``keep_cookies``); one keep-alive connection per thread."""

    def __init__(self, server, username=None, password=PASSWORD):
        self.server = server
        self.username = username
        self.password = password
        self.cookies = SimpleCookie()
        self.local = threading.local()
        #: Connections the server dropped before answering (each request was then sent again).
        self.dropped = 0

    def headers(self) -> dict:
        headers = {"OCS-APIRequest": "true", "Accept": "application/json"}
        if self.username:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        return headers

    def connection(self):
        if getattr(self.local, "connection", None) is None:
            self.local.connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        return self.local.connection

    def send(self, method, path, *, body=b"", content_type="", keep_cookies=False, extra_headers=None):
        headers = {**self.headers(), **(extra_headers or {})}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            conn = self.connection()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.dropped += 1
                conn.close()
                self.local.connection = None
                if attempt:
                    raise
        if keep_cookies or getattr(self, "keep_all_cookies", False):
            for value in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(value)
        if response.headers.get("Connection", "").lower() == "close":
            conn.close()
            self.local.connection = None
        return response.status, data
