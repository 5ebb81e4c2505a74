"""What the demo offers a visitor: the logins and rooms of ``fixtures/demo.json``, and how to try them.

One list for the ``demo`` command, the landing page and the README's curl lines, so they
never disagree. Keep it in step with the fixture (``tests/test_demo.py`` checks that it
is) and the README (``tests/test_readme.py`` runs its shell lines against a live server).
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

V4 = "/ocs/v2.php/apps/spreed/api/v4"


def curl_examples(base: str) -> list[tuple[str, str]]:
    """Return (what, command) pairs that join a room and a call as users and as a guest."""
    ocs = "-H 'OCS-APIRequest: true'"
    json = "-H 'Content-Type: application/json'"
    alice = f"curl -s -u alice:talk-demo {ocs} -c alice.txt -b alice.txt"
    bob = f"curl -s -u bob:talk-demo {ocs} -c bob.txt -b bob.txt"
    guest = f"curl -s {ocs} -c guest.txt -b guest.txt"
    return [
        (
            "Alice joins the room (a Talk session, kept in alice.txt)",
            f"{alice} -X POST {base}{V4}/room/demogroup/participants/active",
        ),
        (
            "Alice starts the call with audio and video (flags 7)",
            f"{alice} {json} -X POST -d '{{\"flags\": 7}}' {base}{V4}/call/demogroup",
        ),
        (
            "Bob joins the room and the call",
            f"{bob} -X POST {base}{V4}/room/demogroup/participants/active && {bob} {json} -X POST -d '{{\"flags\": 3}}' {base}{V4}/call/demogroup",
        ),
        ("Who is in the call", f"{bob} {base}{V4}/call/demogroup"),
        ("Bob leaves the call (the call goes on with Alice)", f"{bob} -X DELETE {base}{V4}/call/demogroup"),
        (
            "Alice ends the call for everyone (moderator)",
            f"{alice} {json} -X DELETE -d '{{\"all\": true}}' {base}{V4}/call/demogroup",
        ),
        (
            "A guest joins the public room with password, then its call",
            f'{guest} {json} -X POST -d \'{{"password": "{ROOM_PASSWORD}"}}\' {base}{V4}/room/demosecret/participants/active && {guest} {json} -X POST -d \'{{"flags": 3}}\' {base}{V4}/call/demosecret',
        ),
    ]
