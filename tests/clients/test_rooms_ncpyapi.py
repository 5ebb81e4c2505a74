"""The third-party client nc-py-api against a live server: it must parse our answers."""

import pytest
from nc_py_api import Nextcloud
from nc_py_api.talk import ConversationType

from talk_calls.constants import ParticipantType
from talk_calls.models import Room
from tests.factories import PASSWORD, AttendeeFactory, UserFactory

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Sync Nextcloud:DeprecationWarning"),
]


@pytest.fixture
def nc(live_server):
    user = UserFactory(username="alice", first_name="Alice", last_name="Liddell")
    client = Nextcloud(nextcloud_url=live_server.url, nc_auth_user=user.username, nc_auth_pass=PASSWORD)
    yield client
    # Close the keep-alive connections before the live server stops, so no request
    # thread is still holding the shared test database connection at teardown.
    client._session.adapter.close()
    client._session.adapter_dav.close()


def test_nc_py_api_conversations(nc):
    bob = UserFactory(username="bob", first_name="Bob", last_name="Builder")
    group_room = nc.talk.create_conversation(ConversationType.GROUP, room_name="Planning")
    assert group_room.conversation_type == ConversationType.GROUP
    assert group_room.display_name == "Planning"
    assert group_room.participant_type == ParticipantType.OWNER
    one = nc.talk.create_conversation(ConversationType.ONE_TO_ONE, invite=bob.username)
    assert one.display_name == "Bob Builder"

    conversations = nc.talk.get_user_conversations()
    assert sorted(c.token for c in conversations) == sorted([group_room.token, one.token])
    assert nc.talk.modified_since > 0 and nc.talk.config_sha

    fetched = nc.talk.get_conversation_by_token(group_room.token)
    assert (fetched.token, fetched.name, fetched.has_call, fetched.read_only) == (
        group_room.token,
        "Planning",
        False,
        0,
    )

    AttendeeFactory(room=Room.objects.get(token=group_room.token), user=bob)
    participants = nc.talk.list_participants(group_room)
    assert sorted((p.actor_id, p.participant_type) for p in participants) == [
        ("alice", ParticipantType.OWNER),
        ("bob", ParticipantType.USER),
    ]
    assert all(p.session_ids == [] and p.last_ping == 0 for p in participants)

    nc.talk.set_conversation_readonly(group_room, True)
    assert nc.talk.get_conversation_by_token(group_room).read_only == 1
    nc.talk.set_conversation_readonly(group_room, False)

    nc.talk.set_conversation_public(group_room, True)
    assert nc.talk.get_conversation_by_token(group_room).conversation_type == ConversationType.PUBLIC
    nc.talk.set_conversation_password(group_room, "correct horse battery")
    assert nc.talk.get_conversation_by_token(group_room).has_password is True
    nc.talk.set_conversation_password(group_room, "")
    nc.talk.set_conversation_public(group_room, False)
    final = nc.talk.get_conversation_by_token(group_room)
    assert (final.conversation_type, final.has_password) == (ConversationType.GROUP, False)
