"""Password hashers for the tests: a fast PBKDF2, and one that counts its checks."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few iterations: the same algorithm name, so stored hashes still verify."""

    iterations = 1000


class CountingPasswordHasher(FastPBKDF2PasswordHasher):
    """Count ``verify`` calls (each one is a run of the password hasher)."""

    calls = 0

    def verify(self, password, encoded):
        type(self).calls += 1
        return super().verify(password, encoded)
