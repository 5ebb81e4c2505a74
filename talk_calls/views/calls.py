"""The call endpoints: ``/call/{token}`` and its sub-resources (reference section 3, call-api.md).

Check order per endpoint is the order of ``permission_classes`` (reference 3.0; a failed
check answers ``data: []``). CONTRACT section 2: PUT and DELETE also answer 403
read-only and 412 lobby, and ring answers 403 to non-moderators, as call-api.md lists.
Views parse, call one service and shape the answer.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from rest_framework.response import Response

from ..constants import IN_CALL_FLAGS_MAX, InCallFlag, NotificationStateCase
from ..exceptions import BadRequest, InvalidParameter, NotFound
from ..models import Session
from ..permissions import (
    CallsEnabled,
    CanStartCallPermission,
    IsModerator,
    IsParticipant,
    IsUserOr403,
    ModeratorOrNoLobby,
    ReadWriteConversation,
)
from ..serializers import attendee_display_name, timestamp
from ..services import calls, dialout, export, notifications
from .base import OCSView, ParticipantView

NOTIFICATION_STATE_STATUS = {
    NotificationStateCase.STILL_CURRENT: 200,
    NotificationStateCase.MISSED_CALL: 201,
    NotificationStateCase.ROOM_NOT_FOUND: 404,
    NotificationStateCase.PARTICIPANT_JOINED: 404,
}


def peer_payload(session: Session, token: str, caller) -> dict:
    attendee = session.attendee
    return {
        "actorType": attendee.actor_type,
        "actorId": attendee.actor_id,
        "displayName": attendee_display_name(attendee, caller),
        "token": token,
        "lastPing": timestamp(session.last_ping),
        "sessionId": session.session_id,
    }


class CallView(ParticipantView):
    """GET lists peers; POST joins; PUT changes flags; DELETE leaves (or ends for everyone)."""

    def get_permissions(self):
        checks = [IsParticipant, ReadWriteConversation, ModeratorOrNoLobby]
        if self.request.method in ("GET", "POST"):
            checks.insert(0, CallsEnabled)
        return [check() for check in checks]

    def _session(self):
        if self.participant.session is None:
            raise NotFound()
        return self.participant.session

    def _flags(self):
        return self.params.integer("flags", minimum=0, maximum=IN_CALL_FLAGS_MAX, error="flags")

    def get(self, request, token):
        room = self.participant.room
        sessions = Session.objects.fresh_in_call(room).select_related("attendee__user")
        return Response([peer_payload(session, room.token, self.participant) for session in sessions])

    def post(self, request, token):
        flags = self._flags()
        if flags is not None and not flags & InCallFlag.IN_CALL:
            raise InvalidParameter("flags", "flags must contain IN_CALL (1)")
        calls.join_call(
            self.participant,
            flags=flags,
            silent=self.params.boolean("silent"),
            silent_for=self.params.strings("silentFor"),
            recording_consent=self.params.boolean("recordingConsent"),
        )
        return Response(None)

    def put(self, request, token):
        flags = self._flags()
        if flags is None:
            raise InvalidParameter("flags", "flags is required")
        self._session()
        if not flags & InCallFlag.IN_CALL:
            raise BadRequest()
        calls.update_call_flags(self.participant, flags=flags)
        return Response(None)

    def delete(self, request, token):
        end_for_all = self.params.boolean("all")
        self._session()
        calls.leave_call(self.participant, end_for_all=end_for_all)
        return Response(None)


class RingView(ParticipantView):
    """POST rings one attendee again (moderators; reference 3.5, call-api.md).

    The lobby is checked before the moderator rule (reference 3.0 order: lobby, then the
    permission): moderators always pass the lobby, so the other way round 412 could never
    be answered.
    """

    permission_classes = [CallsEnabled, IsParticipant, ModeratorOrNoLobby, IsModerator]

    def post(self, request, token, attendee_id):
        notifications.ring_attendee(self.participant, int(attendee_id))
        return Response(None)


class DialOutView(ParticipantView):
    """POST asks the SIP bridge to call a phone attendee (reference 3.6; CONTRACT: 200 on success).

    The reference checks START_CALL only; call-api.md adds the lobby (412), which goes where
    reference 3.0 fixes it: before the permission (as on ring).
    """

    permission_classes = [CallsEnabled, IsParticipant, ModeratorOrNoLobby, CanStartCallPermission]

    def post(self, request, token, attendee_id):
        dialout.dial_out(self.participant, int(attendee_id))
        return Response(None)


class NotificationStateView(OCSView):
    """GET tells a ringing client to keep ringing (200), show a missed call (201) or stop (404)."""

    permission_classes = [IsUserOr403]

    def get(self, request, token):
        case = notifications.notification_state(token, request.user)
        return Response(None, status=NOTIFICATION_STATE_STATUS[case])


class DownloadView(ParticipantView):
    """GET the participants of the running call as CSV (moderators; reference 3.12)."""

    permission_classes = [IsParticipant, IsModerator]

    def initial(self, request, *args, **kwargs):
        # ``format`` names the file format here, not the OCS response format.
        self._format = request.query_params.get("format", "csv")
        request._request.GET = request._request.GET.copy()
        request._request.GET.pop("format", None)
        super().initial(request, *args, **kwargs)

    def get(self, request, token):
        # Errors are OCS answers like every /ocs/ path (the reference: 400, data []).
        if self._format != "csv":
            return Response([], status=400)
        try:
            filename, content = export.participants_csv(self.participant.room)
        except BadRequest:
            return Response([], status=400)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
