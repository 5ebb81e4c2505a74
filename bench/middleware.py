"""Count the SQL queries and the server time of every request, for the bench only.

Outermost middleware: the Django session load and save and the user lookup are
counted too. The load generators read ``X-Bench-Queries``, ``X-Bench-Time-Us`` and ``X-Bench-Method``.
"""

from time import perf_counter

from django.db import connection


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(queries)
        response["X-Bench-Method"] = request.method
        response["X-Bench-Time-Us"] = str(int((perf_counter() - started) * 1_000_000))
        return response
