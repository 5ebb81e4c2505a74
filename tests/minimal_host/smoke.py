"""Run in a fresh process: migrate the minimal host, join a room with Basic auth, print the result."""

import base64
import json
import os

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.minimal_host.settings"
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from talk_calls.constants import ActorType, ParticipantType, RoomType  # noqa: E402
from talk_calls.models import Attendee, Room  # noqa: E402

call_command("migrate", verbosity=0)
call_command("check", fail_level="WARNING")
user = get_user_model().objects.create_user("host-user", password="pw")
room = Room.objects.create(token="hostroom", name="Host room", type=RoomType.GROUP)
Attendee.objects.create(
    room=room, actor_type=ActorType.USERS, actor_id="host-user", user=user, participant_type=ParticipantType.OWNER
)
auth = "Basic " + base64.b64encode(b"host-user:pw").decode()
response = Client().post(
    "/ocs/v2.php/apps/spreed/api/v4/room/hostroom/participants/active",
    HTTP_AUTHORIZATION=auth,
    HTTP_OCS_APIREQUEST="true",
)
print(json.dumps({"status": response.status_code, "body": response.json()}))
