"""Exit 0 if the PostgreSQL server of the given URL answers, 1 otherwise."""

import sys
from urllib.parse import urlparse

try:
    import psycopg
except ImportError:  # pragma: no cover
    sys.exit(1)

url = urlparse(sys.argv[1])
try:
    psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
        connect_timeout=3,
    ).close()
except Exception:
    sys.exit(1)
