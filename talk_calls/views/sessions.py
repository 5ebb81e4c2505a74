"""Joining and leaving a conversation: ``/room/{token}/participants/active`` (reference 4.4, 4.6)."""

from rest_framework.response import Response

from ..access import Actor, client_device
from ..serializers import participant_room_payload
from ..services import sessions
from .base import OCSView


class ActiveParticipantView(OCSView):
    """POST creates the caller's Talk session and answers the room; DELETE ends it (always 200)."""

    def post(self, request, token):
        password = self.params.string("password", max_length=1024)
        force = self.params.boolean("force", default=True)
        actor = Actor.from_request(request)
        participant = sessions.join_room(token, actor, password=password, force=force, **client_device(request))
        return Response(participant_room_payload(participant))

    def delete(self, request, token):
        sessions.leave_room(token, Actor.from_request(request))
        return Response(None)
