"""Chromium for the browser tests: Debian's ``chromium`` driven by Playwright, with a fresh profile.

Import ``browser`` (the fixture) into a ``test_browser_*.py`` module and mark it
``pytest.mark.browser``. Without a ``chromium`` binary the tests are skipped, except with
``CI=true``, where that is a failure. Screenshots go to ``artifacts/`` in the repository.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.db import connections

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
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


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def needs_tool(name: str) -> str:
    """Return the path of ``name``; skip without it, fail without it under ``CI=true``."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (apt-get install -y {name}; .ci/ensure-services does it)"
        if in_ci():
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return found


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Yield ``(playwright, context)``: a persistent Chromium context on a new empty profile."""
    executable = needs_tool("chromium")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the
    # test itself are still plain synchronous code (pytest-django + Playwright).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

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


def admin_login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "/admin/login/" not in page.url, "admin login failed"
