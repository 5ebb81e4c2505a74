"""What the demo offers a visitor: the logins and rooms of ``fixtures/demo.json``, and how to try them.

One list for the ``demo`` command and the landing page, so the two never disagree. Keep it
in step with the fixture (``tests/test_demo.py`` checks that it is).
"""

FIXTURE = "demo.json"

#: (username, password, what the login is for)
LOGINS = [
    ("admin", "admin-demo", "superuser: the Django admin at /admin/"),
    ("alice", "talk-demo", "owner (moderator) of every demo room"),
    ("bob", "talk-demo", "member of the team group and the demo rooms"),
    ("carol", "talk-demo", "member of the team group and the demo rooms except the one-to-one"),
    ("dave", "talk-demo", "a user in no room: self-joins public rooms"),
]

ROOM_PASSWORD = "room-password"

#: (token, what to try there)
ROOMS = [
    ("demogroup", "group room of alice, bob and carol: start a call and watch it in the admin"),
    ("demopublic", "public room: guests join without a login, dave self-joins"),
    ("demosecret", f"public room with password '{ROOM_PASSWORD}' for guests and non-members"),
    ("demoonetoone", "one-to-one room of alice and bob"),
    ("demolobby", "public room with the lobby on: only alice (moderator) may join the call, others get 412"),
    ("demoreadonly", "read-only room: joining works, joining the call answers 403"),
]
