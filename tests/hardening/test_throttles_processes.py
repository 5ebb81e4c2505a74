"""Throttles hold across server processes when the cache is shared (issue 11): two gunicorn
servers, one worker each, counting in the database cache of the test database."""

import base64
import http.client
import json

import pytest
from django.core.management import call_command

from ..factories import PASSWORD, RoomFactory, UserFactory
from .servers import GunicornServer

pytestmark = [pytest.mark.postgres, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CACHE_TABLE = "talk_calls_throttle_cache"


def request(server, method, path, *, auth=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"OCS-APIRequest": "true", "Accept": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    if body is not None:
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), json.loads(data) if data else None


def test_throttles_are_shared_by_two_server_processes():
    call_command("createcachetable", CACHE_TABLE)
    user = UserFactory()
    room = RoomFactory(public=True, room_password="right")
    env = {
        "CACHE_URL": f"dbcache://{CACHE_TABLE}",
        "TALK_THROTTLES": json.dumps({"login_address": "4/300", "login_user": None, "room_password_address": "3/300"}),
    }
    capabilities = "/ocs/v2.php/cloud/capabilities"
    join = f"/ocs/v2.php/apps/spreed/api/v4/room/{room.token}/participants/active"
    with GunicornServer(workers=1, threads=2, env=env) as a, GunicornServer(workers=1, threads=2, env=env) as b:
        assert a.worker_pids() != b.worker_pids()
        for server in (a, b, a, b):
            assert request(server, "GET", capabilities, auth=(user.get_username(), "wrong"))[0] == 401
        for server in (a, b):
            status, headers, body = request(server, "GET", capabilities, auth=(user.get_username(), PASSWORD))
            assert status == 429 and int(headers["Retry-After"]) >= 1
            assert body["ocs"]["meta"]["statuscode"] == 429
        for server in (b, a, b):
            assert request(server, "POST", join, body={"password": "wrong"})[0] == 403
        for server in (a, b):
            assert request(server, "POST", join, body={"password": "right"})[0] == 429
