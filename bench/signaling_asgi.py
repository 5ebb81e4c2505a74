"""The demo's ASGI application plus a query counter, for ``bench/signaling.py`` only.

Every SQL statement of every thread is counted; ``GET /__bench__/queries`` answers the
count (that request runs none itself).
"""

import itertools
import json

from django.db.backends.utils import CursorWrapper

from project.asgi import application as django_application

_counter = itertools.count()
_count = {"queries": 0}
_real_execute = CursorWrapper._execute
_real_executemany = CursorWrapper._executemany


def _execute(self, *args, **kwargs):
    _count["queries"] = next(_counter) + 1
    return _real_execute(self, *args, **kwargs)


def _executemany(self, *args, **kwargs):
    _count["queries"] = next(_counter) + 1
    return _real_executemany(self, *args, **kwargs)


CursorWrapper._execute = _execute
CursorWrapper._executemany = _executemany


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/__bench__/queries":
        body = json.dumps(_count).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    await django_application(scope, receive, send)
