"""An operator watches a call made through the HTTP API in the admin, and ends it for everyone."""

import pytest
from django.urls import reverse

from talk_calls.models import Room
from tests.factories import PASSWORD, AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import admin_login, basic_header, call_url, room_url, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def api_client(playwright, base_url, username):
    """An HTTP client with its own cookie jar, speaking to the live server like a Talk client."""
    return playwright.request.new_context(
        base_url=base_url,
        extra_http_headers={"Authorization": basic_header(username), "OCS-APIRequest": "true"},
    )


def ocs(response):
    assert response.ok, (response.status, response.text())
    return response.json()["ocs"]["data"]


def test_operator_sees_call_participants_and_ends_the_call(live_server, transactional_db, browser):  # noqa: F811
    playwright, context = browser
    room = RoomFactory(name="Browser call")
    alice = AttendeeFactory(room=room, owner=True, display_name="Alice Browser")
    bob = AttendeeFactory(room=room, display_name="Bob Browser")
    UserFactory(username="operator", is_staff=True, is_superuser=True)

    clients = {
        name: api_client(playwright, live_server.url, a.user.username) for name, a in [("alice", alice), ("bob", bob)]
    }
    for client in clients.values():
        ocs(client.post(room_url(room.token, "/participants/active")))
    ocs(clients["alice"].post(call_url(room.token), data={"flags": 3}))
    ocs(clients["bob"].post(call_url(room.token), data={"flags": 7}))
    assert len(ocs(clients["alice"].get(call_url(room.token)))) == 2

    page = context.new_page()
    admin_login(page, live_server.url, "operator", PASSWORD)

    page.goto(live_server.url + reverse("admin:talk_calls_room_live"))
    live = page.locator(f"#call-{room.token}")
    assert "2 live" in live.inner_text()
    assert "Alice Browser" in live.inner_text() and "Bob Browser" in live.inner_text()
    screenshot(page, "admin-live-calls")

    page.goto(live_server.url + reverse("admin:talk_calls_room_change", args=[room.pk]))
    sessions = page.locator("#sessions-group tbody tr")
    alice_row = sessions.filter(has_text="Alice Browser")
    bob_row = sessions.filter(has_text="Bob Browser")
    assert alice_row.locator(".field-flags").inner_text().split() == ["☎", "in", "call", "♪", "audio"]
    assert bob_row.locator(".field-flags").inner_text().split() == ["☎", "in", "call", "♪", "audio", "▶", "video"]
    assert "owner" in alice_row.inner_text() and "user" in bob_row.inner_text()
    screenshot(page, "admin-room-in-call")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button.talk-end-call")
    page.wait_for_selector(".messagelist .success")
    assert f"Ended the call in {room.token} for everyone." in page.locator(".messagelist").inner_text()
    assert page.locator("#sessions-group [title='in call']").count() == 0
    assert page.locator("#sessions-group .field-flags", has_text="not in call").count() == 2
    assert "Call Ended Everyone" in page.locator("#call-history").inner_text()
    screenshot(page, "admin-room-call-ended")

    assert ocs(clients["alice"].get(call_url(room.token))) == []
    assert ocs(clients["bob"].get(call_url(room.token))) == []
    assert not Room.objects.get(pk=room.pk).has_call

    page.goto(live_server.url + reverse("admin:talk_calls_room_live"))
    assert page.locator(".talk-no-calls").is_visible()
    for client in clients.values():
        client.dispose()
