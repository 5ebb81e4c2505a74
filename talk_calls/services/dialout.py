"""SIP dial-out: call a phone attendee through the host's bridge (reference section 3.6).

The service checks the call state under the room lock, then calls the configured
``talk_calls.sip`` backend *outside* any transaction (a slow bridge must not hold the
room lock), then stores the returned call id on the attendee.
"""

from django.db import transaction

from ..access import Participant
from ..constants import ActorType
from ..exceptions import NO_CALL, NOT_IN_CALL, BadRequest, NotFound, NotImplementedError_
from ..models import Attendee, Session
from ..sip import DialOutError, DialOutRequest, get_dialout_backend
from .locking import lock_room


def dial_out(participant: Participant, attendee_id: int) -> str:
    """Ask the SIP bridge to call phone attendee ``attendee_id``; return the bridge's call id.

    Raise ``BadRequest()`` (data null) when the room has no call or the caller's session
    is not in it; ``NotFound()`` when the target is not a ``phones`` attendee of this
    room; ``NotImplementedError_("sip")`` (501) when no backend is configured and 501
    ``{"error", "message"}`` when the backend raises ``DialOutError``.
    """
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
        message = exc.message or str(exc)
        raise NotImplementedError_(
            exc.code or "dialout", f"The SIP bridge refused the call: {message}", data_message=message
        )
    Attendee.objects.filter(pk=target.pk).update(call_id=str(call_id)[:255])
    return call_id
