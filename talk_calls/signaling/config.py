"""The ``GET signaling/settings`` payload (talk-signaling A2, C1), one builder per signaling mode.

``signaling_mode()`` picks the mode (``talk_calls.hpb.servers``: internal while no
signaling server is configured); ``MODE_FIELDS`` maps it to the function that fills the
mode's own fields (``server``, ``hideWarning``, ``helloAuthParams``).
"""

from collections.abc import Callable
from typing import Any

from ..hpb.servers import CONVERSATION_CLUSTER, EXTERNAL, INTERNAL, server_for_room
from ..hpb.servers import signaling_mode as signaling_mode
from .ice import stun_servers, turn_servers
from .tickets import make_ticket


def internal_fields(*, user_id: str | None, room) -> dict:
    """Return the fields of internal mode: no server, the v1 ticket only."""
    ticket = make_ticket(user_id)
    return {
        "hideWarning": False,
        "server": "",
        "ticket": ticket,
        "helloAuthParams": {"1.0": {"userid": user_id, "ticket": ticket}},
    }


def external_fields(*, user_id: str | None, room) -> dict:
    """Return the fields of external mode: the room's signaling server and the v1 ticket.

    Debian's 0.4.1 speaks hello 1.0 only, so ``helloAuthParams`` has no "2.0" token. In
    ``conversation_cluster`` mode the room picks the server; without a room (no token) any
    server is named, where the reference fails.
    """
    ticket = make_ticket(user_id)
    server = server_for_room(room.token if room is not None else "")
    return {
        "hideWarning": True,
        "server": server.url if server is not None else "",
        "ticket": ticket,
        "helloAuthParams": {"1.0": {"userid": user_id, "ticket": ticket}},
    }


#: mode -> builder of its fields; keyword arguments ``user_id`` and ``room``.
MODE_FIELDS: dict[str, Callable[..., dict]] = {
    INTERNAL: internal_fields,
    EXTERNAL: external_fields,
    CONVERSATION_CLUSTER: external_fields,
}


def settings_payload(*, user_id: str | None, room) -> dict:
    """Return the settings of ``room`` (or None: no token given) for ``user_id`` (None: a guest)."""
    mode = signaling_mode()
    payload: dict[str, Any] = {"signalingMode": mode, "userId": user_id}
    payload.update(MODE_FIELDS[mode](user_id=user_id, room=room))
    payload.update(
        {
            "federation": None,
            "stunservers": stun_servers(),
            "turnservers": turn_servers(),
            "sipDialinInfo": "",
        }
    )
    return payload
