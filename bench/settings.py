"""Bench settings: the demo site's settings plus what only the bench needs.

The server is configured from the environment exactly as the demo is (``DEBUG``,
``DATABASE_URL``, ``CONN_MAX_AGE``, ``CACHE_URL``, ``SESSION_ENGINE``); this module adds
the outermost ``bench.middleware.QueryCountMiddleware`` and the baseline view's URL.
"""

from project.settings import *  # noqa: F403
from project.settings import MIDDLEWARE

MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"
