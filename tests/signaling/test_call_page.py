"""The optional call page URLconf: pages render for users and guests; the landing page links them."""

import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.mark.django_db
def test_the_call_page_renders_for_a_guest_with_a_name_field_and_the_script():
    response = Client().get("/call/demopublic/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-token="demopublic"' in html
    assert 'id="guest-name"' in html
    assert "talk_calls/call.js" in html


@pytest.mark.django_db
def test_a_logged_in_user_sees_their_name_and_no_guest_field():
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    client = Client()
    client.force_login(user)
    html = client.get("/call/abcd/").content.decode()
    assert 'data-display-name="Ada Lovelace"' in html
    assert 'id="guest-name"' not in html
    assert client.get("/call/").status_code == 200


@pytest.mark.django_db
def test_a_malformed_token_is_not_a_call_page():
    assert Client().get("/call/NOT-A-TOKEN/").status_code == 404


@pytest.mark.django_db
def test_the_landing_page_links_each_rooms_call_page():
    html = Client().get("/").content.decode()
    assert 'href="/call/demogroup/"' in html and 'href="/call/demopublic/"' in html


def test_the_static_files_are_shipped_with_the_app():
    from django.contrib.staticfiles import finders

    assert finders.find("talk_calls/call.js") and finders.find("talk_calls/call.css")
