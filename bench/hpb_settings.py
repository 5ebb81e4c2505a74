"""Settings of ``bench/hpb.py``: the demo site's settings, plus a middleware that counts every
request and SQL statement of the app server (``bench.hpb_counters``) and serves the counts
at ``/bench/hpb-counters``."""

from project.settings import *  # noqa: F403
from project.settings import MIDDLEWARE

MIDDLEWARE = ["bench.hpb_counters.CountingMiddleware", *MIDDLEWARE]
