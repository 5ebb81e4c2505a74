"""Settings of the server processes the hardening tests start: the demo's, with the test
suite's fast password hasher (hashes made by the factories verify without a rehash)."""

from project.settings import *  # noqa: F403

PASSWORD_HASHERS = ["tests.hashers.FastPBKDF2PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": True}
