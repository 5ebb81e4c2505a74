"""Count the app server's requests and SQL statements, for ``bench/hpb.py`` only.

Outermost middleware of one server process: every request is counted by path (query
strings dropped), with the statements ``bench.middleware.QueryCountMiddleware`` counts (its
``X-Bench-*`` headers stay on the answer). ``GET /bench/hpb-counters`` returns the totals so
far (not counted itself), so the bench reads them before and after a window.
"""

import threading
from collections import Counter

from django.http import JsonResponse

from .middleware import QueryCountMiddleware

COUNTERS_PATH = "/bench/hpb-counters"
_lock = threading.Lock()
_requests: Counter = Counter()
_queries: Counter = Counter()


class CountingMiddleware(QueryCountMiddleware):
    def __call__(self, request):
        if request.path == COUNTERS_PATH:
            with _lock:
                return JsonResponse({"requests": dict(_requests), "queries": dict(_queries)})
        response = super().__call__(request)
        with _lock:
            _requests[request.path] += 1
            _queries[request.path] += int(response["X-Bench-Queries"])
        return response
