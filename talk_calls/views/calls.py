"""The call endpoints: ``/call/{token}`` (reference section 3, call-api.md).

Check order per endpoint is the order of ``permission_classes``. CONTRACT section 2:
PUT and DELETE also answer 403 read-only and 412 lobby, as call-api.md lists.
"""

from rest_framework.response import Response

from ..constants import IN_CALL_FLAGS_MAX, InCallFlag
from ..exceptions import BadRequest, InvalidParameter, NotFound
from ..models import Session
from ..permissions import CallsEnabled, IsParticipant, ModeratorOrNoLobby, ReadWriteConversation
from ..serializers import timestamp
from ..services import calls
from .base import ParticipantView


def peer_payload(session: Session, token: str) -> dict:
    attendee = session.attendee
    return {
        "actorType": attendee.actor_type,
        "actorId": attendee.actor_id,
        "displayName": attendee.resolved_display_name(),
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

    def _flags(self, *, required: bool):
        flags = self.params.integer("flags", minimum=0, maximum=IN_CALL_FLAGS_MAX, error="flags")
        if flags is None and required:
            raise InvalidParameter("flags", "flags is required")
        if flags is not None and not flags & InCallFlag.IN_CALL:
            raise InvalidParameter("flags", "flags must contain IN_CALL (1)")
        return flags

    def get(self, request, token):
        room = self.participant.room
        sessions = Session.objects.fresh_in_call(room).select_related("attendee__user")
        return Response([peer_payload(session, room.token) for session in sessions])

    def post(self, request, token):
        flags = self._flags(required=False)
        silent = self.params.boolean("silent")
        silent_for = self.params.strings("silentFor")
        self._session()
        calls.join_call(self.participant, flags=flags, silent=silent, silent_for=silent_for)
        return Response(None)

    def put(self, request, token):
        flags = self.params.integer("flags", minimum=0, maximum=IN_CALL_FLAGS_MAX, error="flags")
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
