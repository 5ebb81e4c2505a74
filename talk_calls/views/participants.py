"""The participants of a conversation: ``/room/{token}/participants...``, ``/attendees...``,
``/moderators`` and the guest name (reference sections 4.4-4.6 and 5).

One viewset, routed onto Talk's fixed paths in ``urls.py``: the list and adding people,
joining and leaving the conversation (``participants/active``: the caller's Talk
session), leaving it for good, the session state, removing attendees, their
permissions and moderator rights, and a guest's name. Check order per action is the
order of its permission classes. A host may subclass ``ParticipantViewSet`` and route
its subclass instead.
"""

from ..access import client_device, find_attendee, listed_attendees
from ..constants import (
    ACTOR_ID_MAX_LENGTH,
    ATTENDEE_ID_MAX,
    DISPLAY_NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    SHORT_FIELD_MAX_LENGTH,
    ActorType,
)
from ..exceptions import BadRequest, Conflict, SessionInCall
from ..models import Attendee
from ..openapi.operations import PARTICIPANT_OPERATIONS
from ..openapi.schema import OCSAutoSchema
from ..permissions import (
    HasTalkSession,
    IsGuestParticipant,
    IsLoggedIn,
    IsModerator,
    IsNotPlainGuest,
    IsParticipant,
    IsUserAttendee,
    ModeratorOrNoLobby,
)
from ..renderers import OCSResponse
from ..serializers import conflict_payload, participant_list, participant_room_payload
from ..services import rooms, sessions
from .base import TokenViewSet

MODERATOR_CHECKS = [IsParticipant, IsModerator]


class ParticipantViewSet(TokenViewSet):
    """Who is in a conversation, and the changes a participant or a moderator makes to it."""

    schema = OCSAutoSchema(PARTICIPANT_OPERATIONS, tag="participant")

    permission_classes_by_action = {
        "list": [IsParticipant, ModeratorOrNoLobby, IsNotPlainGuest],
        "add": [IsLoggedIn, IsParticipant, IsUserAttendee, IsModerator],
        "join": [],
        "leave": [],
        "leave_for_good": [IsLoggedIn, IsParticipant],
        "set_session_state": [IsParticipant, HasTalkSession],
        "remove": MODERATOR_CHECKS,
        "set_permissions": MODERATOR_CHECKS,
        "set_all_permissions": MODERATOR_CHECKS,
        "promote": MODERATOR_CHECKS,
        "demote": MODERATOR_CHECKS,
        "set_guest_name": [IsParticipant, IsGuestParticipant],
    }

    def target(self, error: str | None = "participant") -> Attendee:
        """Return the attendee named by ``attendeeId`` in the caller's room (404 ``error``)."""
        attendee_id = self.params.integer(
            "attendeeId", default=0, minimum=0, maximum=ATTENDEE_ID_MAX, error="attendeeId"
        )
        return find_attendee(self.participant.room, attendee_id, error)

    def list(self, request, token):
        """The attendees: sessions past the kill timeout are not shown; the periodic command
        removes them, never this read (a flood of reads costs no writes)."""
        room = self.participant.room
        return OCSResponse(participant_list(listed_attendees(room), room, self.participant))

    def add(self, request, token):
        """Add a user, a group's members or a phone number (user moderators)."""
        source = self.params.string("source", max_length=SHORT_FIELD_MAX_LENGTH, error="source") or ActorType.USERS
        new_participant = self.params.string("newParticipant", max_length=ACTOR_ID_MAX_LENGTH, error="new-participant")
        rooms.add_participant(self.participant.room, source=source, new_participant=new_participant)
        return OCSResponse([])

    def join(self, request, token):
        """Create the caller's Talk session (``participants/active``) and answer the room."""
        password = self.params.string("password", max_length=PASSWORD_MAX_LENGTH)
        force = self.params.boolean("force", default=True)
        try:
            participant = sessions.join_room(
                token, self.actor, password=password, force=force, **client_device(request)
            )
        except SessionInCall as exc:
            raise Conflict(data=conflict_payload(exc.session)) from exc
        return OCSResponse(participant_room_payload(participant))

    def leave(self, request, token):
        """End the caller's Talk session (always 200)."""
        sessions.leave_room(token, self.actor)
        return OCSResponse(None)

    def leave_for_good(self, request, token):
        """Remove the caller from the room (``participants/self``)."""
        rooms.leave_room_for_good(self.participant.room, self.participant.attendee)
        return OCSResponse(None)

    def set_session_state(self, request, token):
        """Set the caller's Talk session active (1) or inactive (0)."""
        rooms.set_session_state(self.participant.session, self.params.integer("state", default=-1, error="state"))
        return self.room_response()

    def remove(self, request, token):
        """Remove an attendee (moderators; owners only by themselves)."""
        rooms.remove_other_attendee(self.participant.room, self.participant.attendee, self.target())
        return OCSResponse(None)

    def set_permissions(self, request, token):
        """Set, add or remove one attendee's permissions; answer that attendee's list entry."""
        target = self.target()
        method = self.params.string("method", max_length=16, error="method") or self.params.string(
            "mode", default="set", max_length=16, error="method"
        )
        permissions = self.params.integer("permissions", default=-1, error="value")
        room = self.participant.room
        rooms.set_attendee_permissions(room, target, method=method, permissions=permissions)
        return OCSResponse(participant_list(listed_attendees(room, pks=[target.pk]), room, self.participant))

    def set_all_permissions(self, request, token):
        """``attendees/permissions/all``: deprecated in the reference, always 400 ``null``."""
        raise BadRequest(None, "Setting all attendees' permissions is no longer supported: use permissions/default")

    def promote(self, request, token):
        rooms.promote_moderator(self.participant.room, self.target(None), caller=self.participant.attendee)
        return OCSResponse(None)

    def demote(self, request, token):
        rooms.demote_moderator(self.participant.room, self.target(None), caller=self.participant.attendee)
        return OCSResponse(None)

    def set_guest_name(self, request, token):
        """Store a guest's display name (``/api/v1/guest/{token}/name``)."""
        name = self.params.string("displayName", max_length=DISPLAY_NAME_MAX_LENGTH, error="displayName")
        rooms.set_guest_name(self.participant.room, self.participant.attendee, name)
        return OCSResponse(None)
