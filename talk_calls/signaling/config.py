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
from .tokens import make_token


def internal_fields(*, user_id: str | None, room, **context) -> dict:
    """Return the fields of internal mode: no server, the v1 ticket only."""
    ticket = make_ticket(user_id)
    return {
        "hideWarning": False,
        "server": "",
        "ticket": ticket,
        "helloAuthParams": {"1.0": {"userid": user_id, "ticket": ticket}},
    }


def external_fields(*, user_id: str | None, room, display_name: str = "", issuer: str = "") -> dict:
    """Return the fields of external mode: the room's signaling server, the v1 ticket and,
    with a token key configured, the hello v2 token (``signaling.tokens``; issued by
    ``issuer``, the app's base URL). Debian's 0.4.1 speaks hello 1.0 only.

    The settings view refuses a room-less request in ``conversation_cluster`` mode (the
    reference fails there); in ``external`` mode it gets any server.
    """
    ticket = make_ticket(user_id)
    server = server_for_room(room.token if room is not None else "")
    params: dict[str, Any] = {"1.0": {"userid": user_id, "ticket": ticket}}
    token = make_token(user_id=user_id, display_name=display_name, issuer=issuer)
    if token is not None:
        params["2.0"] = {"token": token}
    return {
        "hideWarning": True,
        "server": server.url if server is not None else "",
        "ticket": ticket,
        "helloAuthParams": params,
    }


#: mode -> builder of its fields; keyword arguments ``user_id``, ``room``, ``display_name``, ``issuer``.
MODE_FIELDS: dict[str, Callable[..., dict]] = {
    INTERNAL: internal_fields,
    EXTERNAL: external_fields,
    CONVERSATION_CLUSTER: external_fields,
}


def settings_payload(*, user_id: str | None, room, display_name: str = "", issuer: str = "") -> dict:
    """Return the settings of ``room`` (or None: no token given) for ``user_id`` (None: a guest)."""
    mode = signaling_mode()
    payload: dict[str, Any] = {"signalingMode": mode, "userId": user_id}
    payload.update(MODE_FIELDS[mode](user_id=user_id, room=room, display_name=display_name, issuer=issuer))
    payload.update(
        {
            "federation": None,
            "stunservers": stun_servers(),
            "turnservers": turn_servers(),
            "sipDialinInfo": "",
        }
    )
    return payload
