"""The API docs page in Chromium: Redoc, bundled with the app, renders the served description
without reaching the network; the landing page links it."""

import pytest

from tests.helpers import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_the_docs_page_renders_the_description_offline(live_server, transactional_db, browser):  # noqa: F811
    _, context = browser
    page = context.new_page()
    outside = []
    # Requests that reached another host (the CSP of the page stops Redoc's remote logo before that).
    page.on("requestfinished", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url))
    page.goto(live_server.url + "/")
    page.click("#api-docs-link")
    # Redoc writes one heading per operation.
    page.locator("h2", has_text="Join or start the call").first.wait_for(timeout=30000)
    assert "talk_calls" in page.title()
    for summary in ("List the sessions in the call", "Create a conversation", "Get the capabilities"):
        assert page.locator("h2", has_text=summary).first.is_visible(), summary
    # The description is hundreds of screens long: the first screen shows that Redoc drew it.
    screenshot(page, "api-docs", full_page=False)
    assert [url for url in outside if not url.startswith(("data:", "blob:", "about:"))] == []
