"""The conversations: ``/room`` and ``/room/{token}`` with its settings (reference section 5).

One viewset, routed onto Talk's fixed paths in ``urls.py``. Check order per action is
the order of its permission classes (reference section 3.0); user-only actions (the
reference's ``NoAdminRequired``) put ``IsLoggedIn`` first, so anonymous callers get 401
before any room lookup. Setters answer the updated room. A host may subclass
``RoomViewSet`` and route its subclass instead.
"""

import time

from ..access import Participant, find_room, rooms_for_user
from ..capabilities import config_hash
from ..constants import (
    ACTOR_ID_MAX_LENGTH,
    LOBBY_TIMER_MAX,
    MODIFIED_SINCE_MAX,
    PASSWORD_MAX_LENGTH,
    ROOM_NAME_PARAM_MAX_LENGTH,
    RoomType,
)
from ..exceptions import BadRequest, NotFound, PreconditionFailed, RoomNotFound
from ..openapi.operations import ROOM_OPERATIONS
from ..openapi.schema import OCSAutoSchema
from ..permissions import IsLoggedIn, IsModerator, IsParticipant, IsUserAttendee
from ..renderers import OCSResponse
from ..serializers import one_to_one_partners, participant_room_payload, room_payload, validate_room_creation
from ..services import rooms
from .base import TokenViewSet

MODERATOR_CHECKS = [IsParticipant, IsModerator]
#: Settings only logged-in moderators change (the reference's ``NoAdminRequired`` + moderator).
USER_MODERATOR_CHECKS = [IsLoggedIn, IsParticipant, IsModerator]
#: Settings only user moderators change: guests (and guest moderators) get 404, other users 403.
LOGGED_IN_MODERATOR_CHECKS = [IsLoggedIn, IsParticipant, IsUserAttendee, IsModerator]


SIP_NOT_CONFIGURED = "SIP is not configured on this server"


def hash_header() -> dict:
    """Return the ``X-Nextcloud-Talk-Hash`` header that tells clients to reload capabilities."""
    return {"X-Nextcloud-Talk-Hash": config_hash()}


class RoomViewSet(TokenViewSet):
    """List and create rooms; read, rename and delete one; change its settings."""

    schema = OCSAutoSchema(ROOM_OPERATIONS, tag="room")

    permission_classes_by_action = {
        "list": [IsLoggedIn],
        "create": [IsLoggedIn],
        "retrieve": [],
        "rename": MODERATOR_CHECKS,
        "destroy": MODERATOR_CHECKS,
        "set_default_permissions": MODERATOR_CHECKS,
        "set_lobby": USER_MODERATOR_CHECKS,
        "set_sip": MODERATOR_CHECKS,
        "set_read_only": USER_MODERATOR_CHECKS,
        "set_listable": USER_MODERATOR_CHECKS,
        "make_public": LOGGED_IN_MODERATOR_CHECKS,
        "make_private": LOGGED_IN_MODERATOR_CHECKS,
        "set_password": MODERATOR_CHECKS,
        "set_recording_consent": LOGGED_IN_MODERATOR_CHECKS,
    }

    def list(self, request):
        """The caller's rooms (``modifiedSince``, ``includeStatus``)."""
        modified_before = int(time.time())
        modified_since = self.params.integer("modifiedSince", default=0, minimum=0, maximum=MODIFIED_SINCE_MAX)
        include_status = self.params.boolean("includeStatus")
        actor = self.actor
        participants = rooms_for_user(actor, modified_since=modified_since, include_status=include_status)
        names = one_to_one_partners([p.room for p in participants], actor.user_id)
        data = [room_payload(p.room, p, partner=names.get(p.room.pk)) for p in participants]
        return OCSResponse(data, headers={**hash_header(), "X-Nextcloud-Talk-Modified-Before": str(modified_before)})

    def create(self, request):
        """Create a room: 201, 202 with ``invalidParticipants``, or 200 for an existing one-to-one."""
        room_type = self.params.integer("roomType", default=RoomType.GROUP, error="type")
        if room_type == RoomType.ONE_TO_ONE:
            invite = self.params.string("invite", max_length=ACTOR_ID_MAX_LENGTH, error="invite")
            room, attendee, created = rooms.create_one_to_one(request.user, invite)
            return OCSResponse(
                participant_room_payload(Participant(room=room, attendee=attendee)), 201 if created else 200
            )
        room, attendee, invalid = rooms.create_room(request.user, **validate_room_creation(self.params, room_type))
        data = participant_room_payload(Participant(room=room, attendee=attendee))
        if invalid:
            data["invalidParticipants"] = invalid
        return OCSResponse(data, 202 if invalid else 201)

    def retrieve(self, request, token):
        """The room as the caller sees it; outsiders see a listable or public room (else 404 ``null``)."""
        participant = self.find_participant()
        if participant is not None:
            return OCSResponse(participant_room_payload(participant), headers=hash_header())
        try:
            room = find_room(token, self.actor)
        except RoomNotFound:
            raise NotFound(None, "Conversation not found")
        return OCSResponse(room_payload(room, None), headers=hash_header())

    def rename(self, request, token):
        rooms.rename_room(
            self.participant.room, self.params.string("roomName", max_length=ROOM_NAME_PARAM_MAX_LENGTH, error="value")
        )
        return self.room_response()

    def destroy(self, request, token):
        rooms.delete_conversation(self.participant.room, attendee=self.participant.attendee)
        return OCSResponse(None)

    def set_default_permissions(self, request, token, mode):
        """``permissions/default`` sets the room default; ``permissions/call`` answers 400 ``mode``."""
        if mode != "default":
            raise BadRequest("mode", "Call permissions are no longer supported: use permissions/default")
        permissions = self.params.integer("permissions", default=-1, error="value")
        rooms.set_default_permissions(self.participant.room, permissions)
        return self.room_response()

    def set_lobby(self, request, token):
        """Set the lobby state and timer; enabling it takes non-moderators out of the call."""
        state = self.params.integer("state", default=-1, error="value")
        timer = self.params.integer("timer", default=None, minimum=0, maximum=LOBBY_TIMER_MAX, error="value")
        rooms.set_lobby(self.participant.room, state=state, timer=timer, attendee=self.participant.attendee)
        return self.room_response()

    def set_sip(self, request, token):
        """No SIP bridge is configured: 401 ``config`` for guests, 412 for users."""
        if not self.actor.is_user:
            raise BadRequest("config", SIP_NOT_CONFIGURED, status_code=401)
        raise PreconditionFailed("config", SIP_NOT_CONFIGURED)

    def set_read_only(self, request, token):
        """Set read-only; 1 ends the call for everyone."""
        state = self.params.integer("state", default=-1, error="value")
        rooms.set_read_only(self.participant.room, state=state, attendee=self.participant.attendee)
        return self.room_response()

    def set_listable(self, request, token):
        rooms.set_listable(self.participant.room, state=self.params.integer("scope", default=-1, error="value"))
        return self.room_response()

    def make_public(self, request, token):
        """Make a group room public (optional password)."""
        password = self.params.string("password", max_length=PASSWORD_MAX_LENGTH, error="password")
        rooms.make_public(self.participant.room, password=password)
        return self.room_response()

    def make_private(self, request, token):
        rooms.make_private(self.participant.room)
        return self.room_response()

    def set_password(self, request, token):
        """Set or ('') remove the password of a public room."""
        password = self.params.string("password", max_length=PASSWORD_MAX_LENGTH, error="value")
        rooms.set_password(self.participant.room, password)
        return self.room_response()

    def set_recording_consent(self, request, token):
        """Set the room's recording-consent flag (CONTRACT section 8)."""
        value = self.params.integer("recordingConsent", default=-1, error="value")
        rooms.set_recording_consent(self.participant.room, value)
        return self.room_response()
