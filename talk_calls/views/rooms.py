"""The conversation endpoints: ``/room`` and ``/room/{token}/...`` (reference section 5).

Check order per endpoint is the order of ``permission_classes`` (reference section 3.0);
user-only endpoints (the reference's ``NoAdminRequired``) put ``IsLoggedIn`` first, so
anonymous callers get 401 before any room lookup. Setters answer the updated room.
"""

import time

from rest_framework.response import Response

from ..access import Actor, Participant, find_room
from ..capabilities import config_hash
from ..constants import (
    ActorType,
    RoomType,
)
from ..exceptions import (
    BadRequest,
    ForbiddenError,
    NotFound,
    ParticipantNotFound,
    PreconditionFailed,
    RoomNotFound,
)
from ..models import Attendee, Room
from ..permissions import (
    HasTalkSession,
    IsGuestParticipant,
    IsLoggedIn,
    IsLoggedInModerator,
    IsModerator,
    IsNotPlainGuest,
    IsParticipant,
    ModeratorOrNoLobby,
)
from ..serializers import (
    one_to_one_partners,
    participant_payload,
    participant_room_payload,
    room_payload,
    validate_room_creation,
)
from ..services import rooms
from .base import OCSView, ParticipantView


def hash_header() -> dict:
    return {"X-Nextcloud-Talk-Hash": config_hash()}


class RoomView(ParticipantView):
    """Base of the ``/room/{token}/...`` setters: answer the updated room object."""

    def room_response(self, status=200) -> Response:
        return Response(participant_room_payload(self.participant), status=status)


class RoomListView(OCSView):
    """GET lists the caller's rooms; POST creates one (201, or 200 for an existing one-to-one)."""

    permission_classes = [IsLoggedIn]

    def get(self, request):
        modified_before = int(time.time())
        modified_since = self.params.integer("modifiedSince", default=0, minimum=0, maximum=2**40)
        include_status = self.params.boolean("includeStatus")
        actor = Actor.from_request(request)
        participants = rooms.rooms_for_user(actor, modified_since=modified_since, include_status=include_status)
        names = one_to_one_partners([p.room for p in participants], actor.user_id)
        data = [room_payload(p.room, p, partner=names.get(p.room.pk)) for p in participants]
        return Response(data, headers={**hash_header(), "X-Nextcloud-Talk-Modified-Before": str(modified_before)})

    def post(self, request):
        room_type = self.params.integer("roomType", default=RoomType.GROUP, error="type")
        if room_type == RoomType.ONE_TO_ONE:
            invite = self.params.string("invite", max_length=255, error="invite")
            room, attendee, created = rooms.create_one_to_one(request.user, invite)
            return Response(
                participant_room_payload(Participant(room=room, attendee=attendee)), status=201 if created else 200
            )
        creation = validate_room_creation(self.params, room_type)
        room, attendee, invalid = rooms.create_room(request.user, **creation)
        data = participant_room_payload(Participant(room=room, attendee=attendee))
        if invalid:
            data["invalidParticipants"] = invalid
        return Response(data, status=202 if invalid else 201)


class RoomDetailView(RoomView):
    """GET the room (public; 404 ``null``); PUT renames (answers the room), DELETE deletes (moderators)."""

    def get_permissions(self):
        if self.request.method == "GET":
            return []
        return [IsParticipant(), IsModerator()]

    def get(self, request, token):
        try:
            participant = self.participant
        except (RoomNotFound, ParticipantNotFound):
            try:
                room = find_room(token, self.actor)
            except RoomNotFound:
                raise NotFound()
            room.open_expired_lobby()
            return Response(room_payload(room, None), headers=hash_header())
        participant.room.open_expired_lobby()
        return Response(participant_room_payload(participant), headers=hash_header())

    def put(self, request, token):
        rooms.rename_room(self.participant.room, self.params.string("roomName", max_length=1024, error="value"))
        return self.room_response()

    def delete(self, request, token):
        if self.participant.room.type in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE):
            raise BadRequest()
        rooms.delete_room(self.participant.room, attendee=self.participant.attendee)
        return Response(None)


class ParticipantsView(RoomView):
    """GET lists the attendees (sessions past the kill timeout are not shown; the periodic
    command removes them, never this read); POST adds users, groups, phones."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsParticipant(), ModeratorOrNoLobby(), IsNotPlainGuest()]
        return [IsLoggedIn(), IsParticipant(), IsLoggedInModerator()]

    def get(self, request, token):
        return Response(participant_list(self.participant.room, self.participant))

    def post(self, request, token):
        source = self.params.string("source", max_length=64, error="source") or ActorType.USERS
        new_participant = self.params.string("newParticipant", max_length=255, error="new-participant")
        rooms.add_participant(self.participant.room, source=source, new_participant=new_participant)
        return Response([])


def participant_list(room: Room, caller: Participant, *, attendees=None) -> list:
    """Return the participant list entries of ``room`` (two queries, whatever the size)."""
    return [participant_payload(a, room, caller) for a in rooms.listed_attendees(room, attendees=attendees)]


class AttendeeTargetMixin:
    """Find the attendee named by ``attendeeId`` in the caller's room."""

    not_found_error: str | None = "participant"

    def target(self) -> Attendee:
        attendee_id = self.params.integer("attendeeId", default=0, minimum=0, maximum=2**62, error="attendeeId")
        attendee = Attendee.objects.select_related("user").filter(pk=attendee_id, room=self.participant.room).first()
        if attendee is None:
            raise NotFound(self.not_found_error)
        return attendee


class AttendeesView(AttendeeTargetMixin, RoomView):
    """DELETE removes an attendee (moderators; owners only by themselves)."""

    permission_classes = [IsParticipant, IsModerator]

    def delete(self, request, token):
        rooms.remove_other_attendee(self.participant.room, self.participant.attendee, self.target())
        return Response(None)


class SelfView(RoomView):
    """DELETE removes the caller from the room for good."""

    permission_classes = [IsLoggedIn, IsParticipant]

    def delete(self, request, token):
        rooms.leave_room_for_good(self.participant.room, self.participant.attendee)
        return Response(None)


class ModeratorsView(AttendeeTargetMixin, RoomView):
    """POST promotes, DELETE demotes an attendee (404/403/400 ``null``)."""

    permission_classes = [IsParticipant, IsModerator]
    not_found_error = None

    def _target(self):
        target = self.target()
        if target.pk == self.participant.attendee.pk:
            raise ForbiddenError()
        return target

    def post(self, request, token):
        rooms.promote_moderator(self.participant.room, self._target())
        return Response(None)

    def delete(self, request, token):
        rooms.demote_moderator(self.participant.room, self._target())
        return Response(None)


class AttendeePermissionsView(AttendeeTargetMixin, RoomView):
    """PUT sets, adds or removes one attendee's permissions; answers that attendee's list entry."""

    permission_classes = [IsParticipant, IsModerator]

    def put(self, request, token):
        target = self.target()
        method = self.params.string("method", max_length=16, error="method") or self.params.string(
            "mode", default="set", max_length=16, error="method"
        )
        permissions = self.params.integer("permissions", default=-1, error="value")
        rooms.set_attendee_permissions(self.participant.room, target, method=method, permissions=permissions)
        return Response(
            participant_list(self.participant.room, self.participant, attendees=Attendee.objects.filter(pk=target.pk))
        )


class AllAttendeesPermissionsView(RoomView):
    """PUT ``attendees/permissions/all``: deprecated in the reference, always 400 ``null``."""

    permission_classes = [IsParticipant, IsModerator]

    def put(self, request, token):
        raise BadRequest()


class DefaultPermissionsView(RoomView):
    """PUT ``permissions/default`` sets the room default; ``permissions/call`` answers 400 ``mode``."""

    permission_classes = [IsParticipant, IsModerator]

    def put(self, request, token, mode):
        if mode != "default":
            raise BadRequest("mode")
        permissions = self.params.integer("permissions", default=-1, error="value")
        rooms.set_default_permissions(self.participant.room, permissions)
        return self.room_response()


class LobbyView(RoomView):
    """PUT sets the lobby state and timer; enabling it kicks non-moderators out of the call."""

    permission_classes = [IsLoggedIn, IsParticipant, IsModerator]

    def put(self, request, token):
        state = self.params.integer("state", default=-1, error="value")
        timer = self.params.integer("timer", default=None, minimum=0, maximum=2**37, error="value")
        rooms.set_lobby(self.participant.room, state=state, timer=timer, attendee=self.participant.attendee)
        return self.room_response()


class ReadOnlyView(RoomView):
    """PUT sets read-only; 1 ends the call for everyone."""

    permission_classes = [IsLoggedIn, IsParticipant, IsModerator]

    def put(self, request, token):
        state = self.params.integer("state", default=-1, error="value")
        rooms.set_read_only(self.participant.room, state=state, attendee=self.participant.attendee)
        return self.room_response()


class ListableView(RoomView):
    """PUT sets the listable scope."""

    permission_classes = [IsLoggedIn, IsParticipant, IsModerator]

    def put(self, request, token):
        rooms.set_listable(self.participant.room, state=self.params.integer("scope", default=-1, error="value"))
        return self.room_response()


class PublicView(RoomView):
    """POST makes a group room public (optional password); DELETE makes it private."""

    permission_classes = [IsLoggedIn, IsParticipant, IsLoggedInModerator]

    def post(self, request, token):
        password = self.params.string("password", max_length=1024, error="password")
        rooms.make_public(self.participant.room, password=password)
        return self.room_response()

    def delete(self, request, token):
        rooms.make_private(self.participant.room)
        return self.room_response()


class PasswordView(RoomView):
    """PUT sets or ('') removes the password of a public room."""

    permission_classes = [IsParticipant, IsModerator]

    def put(self, request, token):
        rooms.set_password(self.participant.room, self.params.string("password", max_length=1024, error="value"))
        return self.room_response()


class RecordingConsentView(RoomView):
    """PUT sets the room's recording-consent flag (CONTRACT section 8)."""

    permission_classes = [IsLoggedIn, IsParticipant, IsLoggedInModerator]

    def put(self, request, token):
        value = self.params.integer("recordingConsent", default=-1, error="value")
        rooms.set_recording_consent(self.participant.room, value)
        return self.room_response()


class SIPView(RoomView):
    """PUT ``webinar/sip``: no SIP bridge is configured, so 401 ``config`` for guests, 412 for users."""

    permission_classes = [IsParticipant, IsModerator]

    def put(self, request, token):
        if not self.actor.is_user:
            raise BadRequest("config", status_code=401)
        raise PreconditionFailed("config")


class SessionStateView(RoomView):
    """PUT sets the caller's Talk session active (1) or inactive (0)."""

    permission_classes = [IsParticipant, HasTalkSession]

    def put(self, request, token):
        rooms.set_session_state(self.participant.session, self.params.integer("state", default=-1, error="state"))
        return self.room_response()


class GuestNameView(ParticipantView):
    """POST ``/api/v1/guest/{token}/name`` stores a guest's display name."""

    permission_classes = [IsParticipant, IsGuestParticipant]

    def post(self, request, token):
        name = self.params.string("displayName", max_length=255, error="displayName")
        rooms.set_guest_name(self.participant.room, self.participant.attendee, name)
        return Response(None)
