"""Chromium for the browser tests: Debian's ``chromium`` driven by Playwright, with a fresh profile.

Tests in this package take the ``browser`` fixture and are marked ``pytest.mark.browser``.
Without a ``chromium`` binary they are skipped, except with ``CI=true``, where that is a
failure. Helpers (``screenshot``, ``admin_login``, ``needs_tool``) are in ``tests.helpers``;
screenshots go to ``artifacts/`` in the repository.
"""

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from tests.helpers import needs_tool

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Yield ``(playwright, context)``: a persistent Chromium context on a new empty profile."""
    executable = needs_tool("chromium")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the
    # test itself are still plain synchronous code (pytest-django + Playwright).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(15_000)
        try:
            yield playwright, context
        finally:
            context.close()
            # While Playwright's loop runs in this thread, asgiref keeps Django's connections
            # in context variables, apart from the thread's own: close the ones opened here,
            # or the test database cannot be dropped at the end of the run.
            connections.close_all()
