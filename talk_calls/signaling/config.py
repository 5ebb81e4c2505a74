"""The ``GET signaling/settings`` payload (talk-signaling A2), one builder per signaling mode.

``signaling_mode()`` picks the mode; ``MODE_FIELDS`` maps it to the function that fills
the mode's own fields (``server``, ``hideWarning``, ``helloAuthParams``). Internal
signaling is built here; the external mode (the High-Performance Backend) adds its entry
to ``MODE_FIELDS`` and answers ``external`` from ``signaling_mode()`` when one is set up.
"""

from collections.abc import Callable
from typing import Any

from .ice import stun_servers, turn_servers
from .tickets import make_ticket

INTERNAL = "internal"
EXTERNAL = "external"


def signaling_mode() -> str:
    """Return the signaling mode of this site: ``internal`` while no signaling server is configured."""
    return INTERNAL


def internal_fields(*, user_id: str | None, room) -> dict:
    """Return the fields of internal mode: no server, the v1 ticket only."""
    ticket = make_ticket(user_id)
    return {
        "hideWarning": False,
        "server": "",
        "ticket": ticket,
        "helloAuthParams": {"1.0": {"userid": user_id, "ticket": ticket}},
    }


#: mode -> builder of its fields; keyword arguments ``user_id`` and ``room``.
MODE_FIELDS: dict[str, Callable[..., dict]] = {INTERNAL: internal_fields}


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
