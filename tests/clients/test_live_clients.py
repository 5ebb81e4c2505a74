"""Third-party Talk clients against a live server: nc-py-api and nextcloud-talk-core."""

import pytest
from nc_py_api import Nextcloud
from nextcloud_talk_core.client import OCSClient as TalkCoreClient
from nextcloud_talk_core.config import Settings
from nextcloud_talk_core.models import Conversation

from talk_calls.constants import SESSION_ID_LENGTH, ActorType
from talk_calls.models import Session
from tests.factories import PASSWORD, AttendeeFactory, RoomFactory
from tests.hashers import CountingPasswordHasher

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Sync Nextcloud:DeprecationWarning"),
]


@pytest.fixture
def attendee(transactional_db):
    return AttendeeFactory(room=RoomFactory(name="Live room"), owner=True)


def test_nc_py_api_sees_talk_and_joins_a_room(live_server, attendee, settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingPasswordHasher"]
    CountingPasswordHasher.calls = 0
    username = attendee.user.get_username()
    nc = Nextcloud(nextcloud_url=live_server.url, nc_auth_user=username, nc_auth_pass=PASSWORD)
    assert nc.talk.available is True
    assert nc.srv_version["major"] >= 22
    assert nc.user == username
    token = attendee.room.token
    data = nc.ocs("POST", f"/ocs/v2.php/apps/spreed/api/v4/room/{token}/participants/active")
    assert len(data["sessionId"]) == SESSION_ID_LENGTH
    assert data["actorType"] == ActorType.USERS and data["actorId"] == username
    assert Session.objects.filter(session_id=data["sessionId"], attendee=attendee).exists()
    # The client keeps Django's cookie, so the call endpoints find the session.
    assert nc.ocs("POST", f"/ocs/v2.php/apps/spreed/api/v4/call/{token}", json={"flags": 3}) is None
    assert Session.objects.get(session_id=data["sessionId"]).in_call == 3
    nc.ocs("DELETE", f"/ocs/v2.php/apps/spreed/api/v4/room/{token}/participants/active")
    assert not Session.objects.filter(session_id=data["sessionId"]).exists()
    # Every request carried Basic credentials; the client kept the cookie, so one password check.
    assert CountingPasswordHasher.calls == 1
    # Close the keep-alive connection while the server runs, so no request thread outlives it.
    nc._session.adapter.close()


def test_nextcloud_talk_core_joins_with_form_bodies(live_server, attendee):
    settings = Settings(nc_url=live_server.url, nc_user=attendee.user.get_username(), nc_app_password=PASSWORD)
    with TalkCoreClient(settings) as client:
        token = attendee.room.token
        data = client.post(f"/api/v4/room/{token}/participants/active", data={"force": "false"})
        conversation = Conversation.from_api(data)
        assert conversation.token == token
        assert len(data["sessionId"]) == SESSION_ID_LENGTH
        assert client.delete(f"/api/v4/room/{token}/participants/active", data={"unused": "1"}) is None
    assert not Session.objects.exists()
