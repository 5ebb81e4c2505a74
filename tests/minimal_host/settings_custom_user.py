"""The minimal host with its own user model (``AbstractBaseUser``: no names, no groups)."""

from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.minimal_host.accounts.apps.AccountsConfig"]  # noqa: F405
AUTH_USER_MODEL = "accounts.Account"
