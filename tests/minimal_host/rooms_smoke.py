"""Run in a fresh process: migrate the minimal host, then create and list rooms with Basic auth.

``python -m tests.minimal_host.rooms_smoke [settings module]``; prints one JSON line of answers.
"""

import base64
import json
import os
import sys

import django

os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[1] if len(sys.argv) > 1 else "tests.minimal_host.settings"
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

ROOMS = "/ocs/v2.php/apps/spreed/api/v4/room"

call_command("migrate", verbosity=0)
User = get_user_model()
user = User.objects.create_user(**{User.USERNAME_FIELD: "host-user@example.com", "password": "pw"})
User.objects.create_user(**{User.USERNAME_FIELD: "partner@example.com", "password": "pw"})
client = Client(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{user.get_username()}:pw".encode()).decode())
client.defaults["HTTP_OCS_APIREQUEST"] = "true"
created = client.post(ROOMS, {"roomType": 2, "roomName": "Made here"}, content_type="application/json")
token = created.json()["ocs"]["data"]["token"]
answers = {
    "create": created,
    "one_to_one": client.post(ROOMS, {"roomType": 1, "invite": "partner@example.com"}, content_type="application/json"),
    "add": client.post(f"{ROOMS}/{token}/participants", {"newParticipant": "partner@example.com"}),
    "participants": client.get(f"{ROOMS}/{token}/participants"),
    "rooms": client.get(ROOMS),
}
print(json.dumps({name: {"status": r.status_code, "body": r.json()} for name, r in answers.items()}))
