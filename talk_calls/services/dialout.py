"""SIP dial-out: call a phone attendee through the host's bridge (reference section 3.6).

The service checks the call state under the room lock, claims the phone attendee (an
attendee being dialed cannot be dialed again until the backend reports an outcome with
``report_dialout_outcome`` or ``DIALOUT_TIMEOUT`` passes), counts the ``dialout_attendee``
and ``dialout_room`` throttles, then calls the configured ``talk_calls.sip`` backend
*outside* any transaction (a slow bridge must not hold the room lock), then stores the
returned call id on the attendee.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import throttling
from ..access import Participant
from ..conf import app_settings
from ..constants import ActorType, DialOutState
from ..exceptions import NO_CALL, NOT_IN_CALL, BadRequest, NotFound, NotImplementedError_
from ..models import Attendee, Session
from ..sip import DialOutError, DialOutRequest, get_dialout_backend
from .locking import lock_room


def _claim(target: Attendee, now) -> bool:
    """Mark ``target`` as being dialed unless a dial-out to it still runs; return whether it was claimed."""
    stale = now - timedelta(seconds=app_settings.DIALOUT_TIMEOUT)
    return bool(
        Attendee.objects.filter(pk=target.pk)
        .filter(Q(dialout_started_at__isnull=True) | Q(dialout_started_at__lt=stale))
        .update(dialout_started_at=now, dialout_state=DialOutState.DIALING, call_id="")
    )


def dial_out(participant: Participant, attendee_id: int) -> str:
    """Ask the SIP bridge to call phone attendee ``attendee_id``; return the bridge's call id.

    Raise ``BadRequest()`` (data null) when the room has no call or the caller's session
    is not in it; ``NotFound()`` when the target is not a ``phones`` attendee of this
    room; ``BadRequest("dialing")`` while a dial-out to it still runs; ``ThrottleExceeded``
    (429) past the dial-out throttles; ``NotImplementedError_("sip")`` (501) when no
    backend is configured and 501 ``{"error", "message"}`` when the backend raises
    ``DialOutError`` (the attendee may then be dialed again at once).
    """
    backend = None
    with transaction.atomic():
        room = lock_room(participant.room)
        if not room.call_flag or room.active_since is None:
            raise BadRequest(None, NO_CALL)
        session = participant.session
        in_call = None
        if session is not None:
            in_call = Session.objects.filter(pk=session.pk).values_list("in_call", flat=True).first()
        if not in_call:
            raise BadRequest(None, NOT_IN_CALL)
        target = Attendee.objects.filter(pk=attendee_id, room=room, actor_type=ActorType.PHONES).first()
        if target is None:
            raise NotFound(None, "No phone attendee with this id in this conversation")
        backend = get_dialout_backend()
        if backend is None:
            raise NotImplementedError_("sip", "SIP dial-out is not configured on this server")
        throttling.count("dialout_attendee", participant.attendee.pk)
        throttling.count("dialout_room", room.pk)
        if not _claim(target, timezone.now()):
            raise BadRequest("dialing", "This number is being dialed already; wait for the outcome")
    caller = participant.attendee
    request = DialOutRequest(
        room_token=room.token,
        attendee_id=target.pk,
        phone_number=target.phone_number,
        caller_actor_type=caller.actor_type,
        caller_actor_id=caller.actor_id,
    )
    try:
        call_id = backend.dial_out(request)
    except DialOutError as exc:
        Attendee.objects.filter(pk=target.pk).update(dialout_started_at=None, dialout_state=DialOutState.FAILED)
        message = exc.message or str(exc)
        raise NotImplementedError_(
            exc.code or "dialout", f"The SIP bridge refused the call: {message}", data_message=message
        )
    Attendee.objects.filter(pk=target.pk).update(call_id=str(call_id)[:255])
    return call_id


def report_dialout_outcome(call_id: str, outcome: str) -> bool:
    """Record what became of the dial-out ``call_id`` (a ``DialOutState`` other than ``DIALING``
    or ``NONE``); the phone attendee may be dialed again. Return whether a running dial-out
    had that id. A backend calls this when its bridge reports back."""
    if outcome not in DialOutState.values or outcome in (DialOutState.DIALING, DialOutState.NONE):
        raise ValueError(f"not an outcome: {outcome!r}")
    if not call_id:
        return False
    return bool(
        Attendee.objects.filter(call_id=str(call_id)[:255], actor_type=ActorType.PHONES)
        .exclude(dialout_started_at=None)
        .update(dialout_started_at=None, dialout_state=outcome)
    )
