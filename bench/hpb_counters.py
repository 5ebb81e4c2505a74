"""Count the app server's requests and SQL statements, for ``bench/hpb.py`` only.

Outermost middleware of one server process: every request is counted by path (query
strings dropped), with its statements and server time; the answer carries
``X-Bench-Queries`` and ``X-Bench-Time-Us``. ``GET /bench/hpb-counters`` returns the totals so
far (not counted itself), so the bench reads them before and after a window.
"""

import threading
from collections import Counter
from time import perf_counter

from django.db import connection
from django.http import JsonResponse

COUNTERS_PATH = "/bench/hpb-counters"
_lock = threading.Lock()
_requests: Counter = Counter()
_queries: Counter = Counter()


class CountingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == COUNTERS_PATH:
            with _lock:
                return JsonResponse({"requests": dict(_requests), "queries": dict(_queries)})
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(queries)
        response["X-Bench-Time-Us"] = str(int((perf_counter() - started) * 1_000_000))
        with _lock:
            _requests[request.path] += 1
            _queries[request.path] += queries
        return response
