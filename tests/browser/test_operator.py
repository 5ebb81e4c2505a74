"""An operator in Chromium at 1400 px: the lists fit without horizontal scrolling, the call minutes
chart is drawn, and "End for everyone" on Live calls ends a call."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from talk_calls.constants import CallEventKind
from talk_calls.models import Room
from tests.factories import PASSWORD, AttendeeFactory, CallEventFactory, RoomFactory, SessionFactory, UserFactory
from tests.helpers import admin_login, basic_header, call_url, room_url, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

WIDTH = 1400
LONG_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"


def busy_admin_data():
    """Rooms, sessions and events with long names, agents and details, as a real site has them."""
    rooms = [
        RoomFactory(name=f"Quarterly planning of the platform team, session {n}", with_call=True) for n in range(5)
    ]
    for room in rooms:
        for n in range(4):
            attendee = AttendeeFactory(room=room, display_name=f"Participant with a long name {n}")
            SessionFactory(attendee=attendee, joined=True, user_agent=LONG_AGENT, client_address="2001:db8::1234:5678")
        CallEventFactory(
            room=room,
            kind=CallEventKind.CALL_ENDED,
            actor_display_name="Participant with a long name 0",
            parameters={"duration": 3600, "users": [f"user-with-a-long-id-{n}" for n in range(12)], "guests": 3},
            call_started_at=timezone.now() - timedelta(hours=1),
        )
    UserFactory(username="operator", is_staff=True, is_superuser=True)


def assert_fits(page, columns):
    """Each column header lies inside the 1400 px viewport and the page has no horizontal scroll."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= WIDTH, f"page is {scroll_width} px wide"
    for column in columns:
        box = page.locator(f"#result_list th.column-{column}").bounding_box()
        assert box is not None, column
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (column, box)


def test_admin_lists_fit_1400_px(live_server, transactional_db, browser):  # noqa: F811
    _, context = browser
    busy_admin_data()
    page = context.new_page()
    assert page.viewport_size["width"] == WIDTH
    admin_login(page, live_server.url, "operator", PASSWORD)
    lists = {
        "admin-rooms-1400": (
            "admin:talk_calls_room_changelist",
            ["room_name", "call_since", "live_in_call", "read_only"],
        ),
        "admin-sessions-1400": ("admin:talk_calls_session_changelist", ["name", "flags", "since_ping", "device"]),
        "admin-call-events-1400": ("admin:talk_calls_callevent_changelist", ["kind", "actor", "summary"]),
    }
    for shot, (url_name, columns) in lists.items():
        page.goto(live_server.url + reverse(url_name))
        assert_fits(page, columns)
        screenshot(page, shot)


def test_call_minutes_chart_is_drawn(live_server, transactional_db, browser):  # noqa: F811
    _, context = browser
    room = RoomFactory(name="Standup")
    now = timezone.now()
    for days_ago, minutes in ((0, 45), (2, 20), (2, 10)):
        ended = now - timedelta(days=days_ago)
        CallEventFactory(
            room=room,
            kind=CallEventKind.CALL_ENDED,
            created_at=ended,
            call_started_at=ended - timedelta(minutes=minutes),
            parameters={"duration": minutes * 60},
        )
    UserFactory(username="operator", is_staff=True, is_superuser=True)
    page = context.new_page()
    admin_login(page, live_server.url, "operator", PASSWORD)
    page.goto(live_server.url + reverse("admin:talk_calls_callevent_changelist"))
    page.click("#call-minutes-link")
    chart = page.locator("#minutes-chart")
    assert chart.is_visible()
    bars = chart.locator("rect.talk-bar")
    assert bars.count() == 30
    drawn = [b for b in bars.all() if float(b.get_attribute("height")) > 0]
    assert sorted(float(b.get_attribute("data-minutes")) for b in drawn) == [30.0, 45.0]
    heights = {float(b.get_attribute("data-minutes")): b.bounding_box()["height"] for b in drawn}
    assert heights[45.0] > heights[30.0] > 0
    assert "Standup" in page.locator("#top-rooms").inner_text()
    assert "75.0 call minutes in 3 calls" in page.locator("#report-total").inner_text()
    screenshot(page, "admin-call-minutes")
    download = page.request.get(
        page.locator("#report-csv").get_attribute("href").replace("?", page.url.split("?")[0] + "?", 1)
    )
    assert download.ok and download.text().startswith("section,key,name,minutes,calls")


def test_end_for_everyone_from_live_calls(live_server, transactional_db, browser):  # noqa: F811
    playwright, context = browser
    room = RoomFactory(name="Ends from the list", public=True)
    owner = AttendeeFactory(room=room, owner=True, display_name="Olga Owner")
    UserFactory(username="operator", is_staff=True, is_superuser=True)
    api = playwright.request.new_context(base_url=live_server.url, extra_http_headers={"OCS-APIRequest": "true"})
    owner_api = playwright.request.new_context(
        base_url=live_server.url, extra_http_headers={"Authorization": basic_header(owner.user.username)}
    )
    for client in (owner_api, api):
        headers = {"OCS-APIRequest": "true"}
        assert client.post(room_url(room.token, "/participants/active"), headers=headers).ok
        assert client.post(call_url(room.token), data={"flags": 3}, headers=headers).ok

    page = context.new_page()
    admin_login(page, live_server.url, "operator", PASSWORD)
    page.goto(live_server.url + reverse("admin:talk_calls_room_live"))
    call = page.locator(f"#call-{room.token}")
    assert "Olga Owner" in call.inner_text() and "Guest " in call.inner_text()
    screenshot(page, "admin-live-calls-end-button")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#end-{room.token}")
    page.wait_for_selector(".messagelist .success")
    assert page.url.endswith(reverse("admin:talk_calls_room_live"))
    assert page.locator(".talk-no-calls").is_visible()
    assert not Room.objects.get(pk=room.pk).has_call
    for client in (api, owner_api):
        client.dispose()
