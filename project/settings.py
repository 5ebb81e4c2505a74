"""Demo site settings, read from the environment with django-environ (CONTRACT section 6).

Defaults make ``make demo`` work on a fresh clone: an SQLite file in the repository
(ignored by git), DEBUG on, local hosts only. ``TALK_*`` variables fill ``TALK_CALLS``.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

#: The demo's key: public, so only ever used with DEBUG on (see below).
DEMO_SECRET_KEY = "demo-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=DEMO_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=True)
if not DEBUG and SECRET_KEY == DEMO_SECRET_KEY:
    # Sessions, CSRF tokens and the Basic-auth digests are signed with this key.
    raise ImproperlyConfigured("DEBUG is off but SECRET_KEY is the demo's public key: set SECRET_KEY.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "talk_calls",
    "project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two requests that both
    # read then write queue up instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"].setdefault("TEST", {})
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# A key prefix of its own when several sites (or test runs) share one Redis or Memcached.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="")
# Sessions are read on every request: with a cache the workers share (CACHE_URL names
# Redis, Memcached, ...) they come from the cache and the database only on a miss. The
# demo's default per-process memory cache is not shared by the workers of a production
# server, so sessions then stay in the database alone.
PROCESS_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
SESSION_ENGINE = env.str(
    "SESSION_ENGINE",
    default="django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"] in PROCESS_LOCAL_CACHES
    else "django.contrib.sessions.backends.cached_db",
)

AUTH_PASSWORD_VALIDATORS = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Production over HTTPS (``manage.py check --deploy`` is clean with these set, see README).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Talk clients send no body larger than a few KiB; the limit also bounds file parts (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/admin/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

TALK_CALLS = {
    "START_CALLS": env.int("TALK_START_CALLS", default=0),
    "START_CALLS_GROUPS": env.list("TALK_START_CALLS_GROUPS", default=[]),
    "DEFAULT_PERMISSIONS": env.int("TALK_DEFAULT_PERMISSIONS", default=0),
    "RECORDING_CONSENT": env.int("TALK_RECORDING_CONSENT", default=0),
    "SIP_DIALOUT_BACKEND": env.str("TALK_SIP_DIALOUT_BACKEND", default=None) or None,
    "SESSION_PING_TIMEOUT": env.int("TALK_SESSION_PING_TIMEOUT", default=30),
    "SESSION_KILL_TIMEOUT": env.int("TALK_SESSION_KILL_TIMEOUT", default=100),
    "PEER_LIST_MAX_AGE": env.int("TALK_PEER_LIST_MAX_AGE", default=5),
    "MAX_CALL_DURATION": env.int("TALK_MAX_CALL_DURATION", default=0),
    "GUEST_USERS_GROUP": env.str("TALK_GUEST_USERS_GROUP", default="guest_app"),
    "THROTTLES": env.json("TALK_THROTTLES", default={}),
    "PASSWORD_HASH_CONCURRENCY": env.int("TALK_PASSWORD_HASH_CONCURRENCY", default=2),
    "PASSWORD_HASH_WAIT": env.int("TALK_PASSWORD_HASH_WAIT", default=10),
    "MAX_GUESTS_PER_ROOM": env.int("TALK_MAX_GUESTS_PER_ROOM", default=100),
    "DIALOUT_TIMEOUT": env.int("TALK_DIALOUT_TIMEOUT", default=60),
    # STUN: comma list of host:port; TURN: a JSON list of {"server", "secret", "schemes", "protocols"}.
    "STUN_SERVERS": env.list("TALK_STUN_SERVERS", default=[]),
    "TURN_SERVERS": env.json("TALK_TURN_SERVERS", default=[]),
    # External signaling: comma-separated server URLs, one TLS-verify flag for all of them.
    "SIGNALING_MODE": env.str("TALK_SIGNALING_MODE", default="external"),
    "SIGNALING_SERVERS": [
        {"server": url, "verify": env.bool("TALK_SIGNALING_VERIFY", default=True)}
        for url in env.list("TALK_SIGNALING_SERVERS", default=[])
    ],
    "SIGNALING_SECRET": env.str("TALK_SIGNALING_SECRET", default=""),
    "SIGNALING_BACKEND_URL": env.str("TALK_SIGNALING_BACKEND_URL", default=""),
    # Hello v2 tokens (signaling servers of upstream 1.0.0+): a PEM file written by
    # "manage.py talk_calls_hpb_config token-key"; unset: hello v1 tickets only.
    "SIGNALING_TOKEN_PRIVATE_KEY": (
        Path(env.str("TALK_SIGNALING_TOKEN_KEY_FILE")).read_text()
        if env.str("TALK_SIGNALING_TOKEN_KEY_FILE", "")
        else ""
    ),
    "SIGNALING_TOKEN_ALGORITHM": env.str("TALK_SIGNALING_TOKEN_ALGORITHM", default="ES256"),
}

# Internal signaling's channel layer (Django Channels). REDIS_URL (or CHANNEL_LAYER_URL)
# selects channels-redis, needed as soon as more than one ASGI process serves the site;
# without it, the in-memory layer of one process (make demo). Undelivered messages live
# 300 s and a session's channel holds 200, like the reference's 5-minute expiry.
CHANNEL_LAYER_URL = env.str("CHANNEL_LAYER_URL", default="") or env.str("REDIS_URL", default="")
if CHANNEL_LAYER_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's socket timeout must outlast the layer's 5 s blocking pop (talk-signaling G).
                "hosts": [{"address": CHANNEL_LAYER_URL, "socket_timeout": 15, "socket_connect_timeout": 5}],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="talk_calls"),
                "expiry": 300,
                "capacity": 200,
                "group_expiry": 300,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"expiry": 300, "capacity": 200}}
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"talk_calls": {"handlers": ["console"], "level": env.str("TALK_LOG_LEVEL", default="INFO")}},
}
