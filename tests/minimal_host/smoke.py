"""Run in a fresh process: migrate the minimal host, then join rooms with Basic auth.

``python -m tests.minimal_host.smoke [settings module]``; prints one JSON line of answers.
"""

import base64
import json
import os
import sys

import django

# The app must not need django-environ (the demo project's dependency): make it unimportable.
sys.modules["environ"] = None  # type: ignore[assignment]
os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[1] if len(sys.argv) > 1 else "tests.minimal_host.settings"
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from talk_calls.constants import ActorType, ParticipantType, RoomType  # noqa: E402
from talk_calls.models import Attendee, Room  # noqa: E402

call_command("migrate", verbosity=0)
call_command("check", fail_level="WARNING")
User = get_user_model()
user = User.objects.create_user(**{User.USERNAME_FIELD: "host-user@example.com", "password": "pw"})
username = user.get_username()
room = Room.objects.create(token="hostroom", name="Host room", type=RoomType.GROUP)
Attendee.objects.create(
    room=room, actor_type=ActorType.USERS, actor_id=username, user=user, participant_type=ParticipantType.OWNER
)
Room.objects.create(token="hostpublic", name="Open", type=RoomType.PUBLIC)
client = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{username}:pw".encode()).decode())
client.defaults["HTTP_OCS_APIREQUEST"] = "true"
answers = {
    "join": client.post("/ocs/v2.php/apps/spreed/api/v4/room/hostroom/participants/active"),
    "self_join": client.post("/ocs/v2.php/apps/spreed/api/v4/room/hostpublic/participants/active"),
    "call": client.post("/ocs/v2.php/apps/spreed/api/v4/call/hostroom"),
    "user": client.get("/ocs/v2.php/cloud/user"),
    "capabilities": client.get("/ocs/v2.php/cloud/capabilities"),
    "openapi": client.get("/api/openapi.json"),
}
docs = client.get("/api/docs/")
answers_json = {name: {"status": r.status_code, "body": r.json()} for name, r in answers.items()}
answers_json["docs"] = {"status": docs.status_code, "body": docs.content.decode()}
print(json.dumps(answers_json))
