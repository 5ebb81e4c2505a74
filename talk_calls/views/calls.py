"""The call of a room: ``/call/{token}`` and its sub-resources (reference section 3, call-api.md).

One viewset, routed onto Talk's fixed paths in ``urls.py``: ``list`` (the peers),
``join``, ``update_flags``, ``leave``, and ``ring``, ``dial_out``,
``notification_state``, ``download``. Check order per action is the order of its
permission classes (reference 3.0; a failed check answers ``data: []``). CONTRACT
section 2: PUT and DELETE also answer 403 read-only and 412 lobby, and ring answers 403
to non-moderators, as call-api.md lists. A host may subclass ``CallViewSet`` and route
its subclass instead.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from ..constants import IN_CALL_FLAGS_MAX, InCallFlag
from ..exceptions import FLAGS_WITHOUT_IN_CALL, DownloadRefused, InvalidParameter
from ..openapi.operations import CALL_OPERATIONS
from ..openapi.schema import OCSAutoSchema
from ..peerlist import peer_list
from ..permissions import (
    CallsEnabled,
    CanRing,
    CanStartCall,
    IsModerator,
    IsParticipant,
    IsUserOr403,
    ModeratorOrNoLobby,
    ReadWriteConversation,
)
from ..renderers import OCSResponse
from ..serializers import NOTIFICATION_STATE_MESSAGE, NOTIFICATION_STATE_STATUS
from ..services import calls, dialout, export, notifications
from .base import TokenViewSet

#: The checks of ``/call/{token}``: GET and POST also need calls enabled.
IN_CALL_CHECKS = [IsParticipant, ReadWriteConversation, ModeratorOrNoLobby]


class CallViewSet(TokenViewSet):
    """GET lists peers; POST joins; PUT changes flags; DELETE leaves (or ends for everyone);
    ring, dial-out, notification state and the CSV download as further actions."""

    schema = OCSAutoSchema(CALL_OPERATIONS, tag="call")

    permission_classes_by_action = {
        "list": [CallsEnabled, *IN_CALL_CHECKS],
        "join": [CallsEnabled, *IN_CALL_CHECKS],
        "update_flags": IN_CALL_CHECKS,
        "leave": IN_CALL_CHECKS,
        # The lobby (412) before the moderator / start-call rule (reference 3.0 order: lobby,
        # then the permission): moderators always pass the lobby, so the other way round
        # 412 could never be answered.
        "ring": [CallsEnabled, IsParticipant, ModeratorOrNoLobby, CanRing],
        "dial_out": [CallsEnabled, IsParticipant, ModeratorOrNoLobby, CanStartCall],
        "notification_state": [IsUserOr403],
        "download": [IsParticipant, IsModerator],
    }

    def check_permissions(self, request):
        # A ping (PUT with the flags the session has) is one conditional UPDATE that
        # encodes the checks of ``update_flags``; anything else takes the full path.
        self._pinged = self.action == "update_flags" and self._ping()
        if not self._pinged:
            super().check_permissions(request)

    def _ping(self) -> bool:
        try:
            flags = self._flags()
        except InvalidParameter:
            return False  # answered by the full path, in its order
        return flags is not None and calls.ping_call(self.kwargs["token"], self.actor, flags=flags)

    def _flags(self):
        return self.params.integer("flags", minimum=0, maximum=IN_CALL_FLAGS_MAX, error="flags")

    def list(self, request, token):
        return OCSResponse(peer_list(self.participant.room, moderator=self.participant.is_moderator))

    def join(self, request, token):
        flags = self._flags()
        if flags is not None and not flags & InCallFlag.IN_CALL:
            raise InvalidParameter("flags", FLAGS_WITHOUT_IN_CALL)
        calls.join_call(
            self.participant,
            flags=flags,
            silent=self.params.boolean("silent"),
            silent_for=self.params.strings("silentFor"),
            recording_consent=self.params.boolean("recordingConsent"),
        )
        return OCSResponse(None)

    def update_flags(self, request, token):
        if self._pinged:
            return OCSResponse(None)
        flags = self._flags()
        if flags is None:
            raise InvalidParameter("flags", "flags is required")
        if not flags & InCallFlag.IN_CALL:
            raise InvalidParameter("flags", FLAGS_WITHOUT_IN_CALL)
        calls.update_call_flags(self.participant, flags=flags)
        return OCSResponse(None)

    def leave(self, request, token):
        calls.leave_call(self.participant, end_for_all=self.params.boolean("all"))
        return OCSResponse(None)

    def ring(self, request, token, attendee_id):
        """Ring one attendee again (moderators; reference 3.5, call-api.md)."""
        notifications.ring_attendee(self.participant, int(attendee_id))
        return OCSResponse(None)

    def dial_out(self, request, token, attendee_id):
        """Ask the SIP bridge to call a phone attendee (reference 3.6; CONTRACT: 200 on success)."""
        dialout.dial_out(self.participant, int(attendee_id))
        return OCSResponse(None)

    def notification_state(self, request, token):
        """Tell a ringing client to keep ringing (200), show a missed call (201) or stop (404)."""
        case = notifications.notification_state(token, request.user)
        return OCSResponse(None, NOTIFICATION_STATE_STATUS[case], message=NOTIFICATION_STATE_MESSAGE.get(case))

    def check_format(self, request) -> None:
        # ``format`` of the download names the file format (checked by the action), not the OCS format.
        if self.action != "download":
            super().check_format(request)

    def download(self, request, token):
        """The participants of the running call as CSV (moderators; reference 3.12); errors 400 ``[]``."""
        file_format = request.query_params.get("format", "csv")
        if file_format != "csv":
            raise DownloadRefused(
                f"The participant list is only available as CSV (format=csv), not {file_format[:20]!r}"
            )
        filename, content = export.participants_csv(self.participant.room)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
