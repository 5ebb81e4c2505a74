"""A visitor of the demo: the landing page renders, its links work, and its curl lines make a
call that the admin shows."""

import subprocess

import pytest
from django.core.management import call_command

from project.demo_info import LOGINS, ROOMS
from tests.helpers import admin_login, needs_tool, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_landing_page_renders_and_its_links_work(live_server, transactional_db, browser):  # noqa: F811
    _, context = browser
    call_command("demo", base_url=live_server.url)
    page = context.new_page()
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    assert page.title() == "talk_calls demo"
    for token, _ in ROOMS:
        assert page.locator(f"#room-{token}").is_visible()
    logins = page.locator("#logins").inner_text()
    assert all(username in logins and password in logins for username, password, _ in LOGINS)
    screenshot(page, "landing")

    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert len(hrefs) >= 4
    for href in hrefs:
        assert page.request.get(href).status == 200, href

    page.click("#admin-link")
    assert "/admin/login/" in page.url
    admin_login(page, live_server.url, "admin", "admin-demo")
    page.goto(live_server.url + "/")
    page.click("#live-link")
    assert page.locator(".talk-no-calls").is_visible()


def test_curl_lines_of_the_landing_page_start_a_call_the_admin_shows(live_server, transactional_db, browser, tmp_path):  # noqa: F811
    _, context = browser
    needs_tool("curl")
    call_command("demo", base_url=live_server.url)
    page = context.new_page()
    page.goto(live_server.url + "/")
    lines = page.locator("pre.curl").all_inner_texts()
    assert all(live_server.url in line for line in lines)
    # Alice joins the room, starts the call; Bob joins room and call.
    for line in lines[:3]:
        result = subprocess.run(line, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and '"statuscode":200' in result.stdout, (line, result.stdout, result.stderr)

    admin_login(page, live_server.url, "admin", "admin-demo")
    page.goto(live_server.url + "/")
    page.click("#live-link")
    call = page.locator("#call-demogroup")
    assert "2 live" in call.inner_text()
    assert "Alice Andersen" in call.inner_text() and "Bob Brown" in call.inner_text()
    screenshot(page, "landing-curl-call-in-admin")
