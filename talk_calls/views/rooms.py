"""The conversation endpoints: ``/room`` and ``/room/{token}/...`` (reference section 5).

Check order per endpoint is the order of ``permission_classes`` (reference section 3.0);
user-only endpoints (the reference's ``NoAdminRequired``) put ``IsLoggedIn`` first, so
anonymous callers get 401 before any room lookup. Setters answer the updated room.
"""

import time
from datetime import UTC, datetime

from rest_framework.response import Response

from ..access import Actor, Participant, find_room
from ..capabilities import config_hash
from ..conf import app_settings
from ..constants import (
    DESCRIPTION_MAX_LENGTH,
    PERMISSIONS_MAX_CUSTOM,
    ROOM_NAME_MAX_LENGTH,
    ActorType,
    Listable,
    LobbyState,
    ReadOnly,
    RoomType,
    SIPState,
)
from ..exceptions import (
    BadRequest,
    NotFound,
    ParticipantNotFound,
    PreconditionFailed,
    RoomNotFound,
)
from ..models import Attendee, Room, Session, kill_cutoff
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
from ..serializers import one_to_one_display_names, participant_payload, room_payload
from ..services import rooms
from ..services.sessions import expire_stale_sessions
from .base import OCSView, ParticipantView


def hash_header() -> dict:
    return {"X-Nextcloud-Talk-Hash": config_hash()}


def room_data(participant: Participant) -> dict:
    """Return the room object for the caller, with a one-to-one room's partner as display name."""
    room = participant.room
    names = one_to_one_display_names([room], participant.attendee.actor_id if participant.attendee.is_user else None)
    return room_payload(room, participant, display_name=names.get(room.pk))


class RoomView(ParticipantView):
    """Base of the ``/room/{token}/...`` setters: answer the updated room object."""

    def room_response(self, status=200) -> Response:
        return Response(room_data(self.participant), status=status)


class RoomListView(OCSView):
    """GET lists the caller's rooms; POST creates one (201, or 200 for an existing one-to-one)."""

    permission_classes = [IsLoggedIn]

    def get(self, request):
        modified_before = int(time.time())
        modified_since = self.params.integer("modifiedSince", default=0, minimum=0, maximum=2**40)
        include_status = self.params.boolean("includeStatus")
        actor = Actor.from_request(request)
        attendees = list(
            Attendee.objects.filter(actor_type=ActorType.USERS, actor_id=actor.user_id)
            .select_related("room", "user")
            .order_by("room_id")
        )
        session_ids = [sid for sid in actor.sessions.session_ids().values() if isinstance(sid, str)]
        sessions = {
            s.attendee_id: s for s in Session.objects.filter(session_id__in=session_ids, attendee__in=attendees)
        }
        data = []
        participants = []
        for attendee in attendees:
            room = attendee.room
            room.open_expired_lobby()
            if modified_since and not (
                (include_status and room.type == RoomType.ONE_TO_ONE)
                or room.last_activity.timestamp() >= modified_since
            ):
                continue
            participants.append(Participant(room=room, attendee=attendee, session=sessions.get(attendee.pk)))
        names = one_to_one_display_names([p.room for p in participants], actor.user_id)
        data = [room_payload(p.room, p, display_name=names.get(p.room.pk)) for p in participants]
        headers = {**hash_header(), "X-Nextcloud-Talk-Modified-Before": str(modified_before)}
        return Response(data, headers=headers)

    def post(self, request):
        room_type = self.params.integer("roomType", default=RoomType.GROUP, error="type")
        invite = self.params.string("invite", max_length=255, error="invite")
        if room_type == RoomType.ONE_TO_ONE:
            room, attendee, created = rooms.create_one_to_one(request.user, invite)
            participant = Participant(room=room, attendee=attendee)
            return Response(room_data(participant), status=201 if created else 200)
        if room_type not in (RoomType.GROUP, RoomType.PUBLIC):
            raise BadRequest("type")
        fields, invite_users, invite_groups = self._create_fields(room_type, invite)
        room, attendee, invalid = rooms.create_room(
            request.user, room_type=room_type, invite_users=invite_users, invite_groups=invite_groups, **fields
        )
        data = room_data(Participant(room=room, attendee=attendee))
        if invalid:
            data["invalidParticipants"] = invalid
            return Response(data, status=202)
        return Response(data, status=201)

    def _create_fields(self, room_type, invite):
        """Validate the creation parameters; return (room fields, users, groups) or raise 400/404."""
        p = self.params
        source = p.string("source", max_length=64, error="source") or ActorType.USERS
        invite_users, invite_groups = [], []
        if invite:
            (invite_groups if source == ActorType.GROUPS else invite_users).append(invite)
        participants = p.raw("participants") or {}
        if not isinstance(participants, dict):
            raise BadRequest("invite")
        for key, target in (("users", invite_users), ("groups", invite_groups)):
            values = participants.get(key) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise BadRequest("invite")
            target.extend(values)
        name = p.string("roomName", max_length=ROOM_NAME_MAX_LENGTH * 4, error="name").strip()
        if not name and invite_groups and invite:
            name = invite
        if not name or len(name) > ROOM_NAME_MAX_LENGTH:
            raise BadRequest("name")
        if invite and not self._invite_exists(source, invite):
            raise NotFound("invite")
        password = p.string("password", max_length=1024, error="password")
        if password and room_type != RoomType.PUBLIC:
            raise BadRequest("password")
        fields = {
            "name": name,
            "read_only": self._choice("readOnly", ReadOnly.values, "read-only"),
            "listable": self._choice("listable", Listable.values, "listable"),
            "lobby_state": self._choice("lobbyState", LobbyState.values, "lobby"),
            "default_permissions": p.integer(
                "permissions", default=0, minimum=0, maximum=PERMISSIONS_MAX_CUSTOM, error="permissions"
            ),
            "description": p.string("description", max_length=DESCRIPTION_MAX_LENGTH, error="description"),
        }
        timer = p.integer("lobbyTimer", default=0, minimum=0, maximum=2**37, error="lobby-timer")
        if timer:
            fields["lobby_timer"] = datetime.fromtimestamp(timer, tz=UTC)
        if self._choice("sipEnabled", SIPState.values, "sip-enabled") != SIPState.DISABLED:
            raise BadRequest("sip-enabled")  # SIP is not configured in this app
        consent = self._choice("recordingConsent", (0, 1), "recording-consent")
        if consent and app_settings.RECORDING_CONSENT == 0:
            raise BadRequest("recording-consent")
        fields["recording_consent"] = consent
        if password:
            from django.contrib.auth.hashers import make_password

            fields["password"] = make_password(password)
        return fields, invite_users, invite_groups

    def _choice(self, name, values, error):
        value = self.params.integer(name, default=0, error=error)
        if value not in values:
            raise BadRequest(error)
        return value

    @staticmethod
    def _invite_exists(source, invite) -> bool:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        if source == ActorType.GROUPS:
            return Group.objects.filter(name=invite).exists()
        User = get_user_model()
        return User.objects.filter(**{User.USERNAME_FIELD: invite}).exists()


class RoomDetailView(RoomView):
    """GET the room (public; 404 ``null``); PUT renames, DELETE deletes (moderators)."""

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
        return Response(room_data(participant), headers=hash_header())

    def put(self, request, token):
        rooms.rename_room(self.participant.room, self.params.string("roomName", max_length=1024, error="name"))
        return Response(None)

    def delete(self, request, token):
        if self.participant.room.type in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE):
            raise BadRequest()
        rooms.delete_room(self.participant.room, attendee=self.participant.attendee)
        return Response(None)


class ParticipantsView(RoomView):
    """GET lists the attendees (stale sessions expire first); POST adds users, groups, phones."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsParticipant(), ModeratorOrNoLobby(), IsNotPlainGuest()]
        return [IsLoggedIn(), IsParticipant(), IsLoggedInModerator()]

    def get(self, request, token):
        room = self.participant.room
        if Session.objects.filter(room=room, last_ping__lt=kill_cutoff()).exists():
            expire_stale_sessions(room=room)
        return Response(participant_list(room, self.participant))

    def post(self, request, token):
        source = self.params.string("source", max_length=64, error="source") or ActorType.USERS
        new_participant = self.params.string("newParticipant", max_length=255, error="new-participant")
        rooms.add_participant(self.participant.room, source=source, new_participant=new_participant)
        return Response([])


def participant_list(room: Room, caller: Participant, *, attendees=None) -> list:
    """Return the participant list entries of ``room`` (two queries, whatever the size)."""
    from django.db.models import Prefetch

    queryset = Attendee.objects.filter(room=room) if attendees is None else attendees
    queryset = queryset.select_related("user").prefetch_related(
        Prefetch(
            "sessions",
            queryset=Session.objects.filter(last_ping__gte=kill_cutoff()).order_by("id"),
            to_attr="live_sessions",
        )
    )
    entries = []
    for attendee in queryset:
        if attendee.actor_type == ActorType.USERS and attendee.user_id is None and not attendee.display_name:
            continue  # a deleted account without a stored name (reference section 5.3)
        entries.append(participant_payload(attendee, room, caller))
    return entries


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
            from ..exceptions import ForbiddenError

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

    permission_classes = [IsParticipant, IsModerator]

    def put(self, request, token):
        state = self.params.integer("state", default=-1, error="value")
        timer = self.params.integer("timer", default=None, minimum=0, maximum=2**37, error="value")
        rooms.set_lobby(self.participant.room, state=state, timer=timer, attendee=self.participant.attendee)
        return self.room_response()


class ReadOnlyView(RoomView):
    """PUT sets read-only; 1 ends the call for everyone."""

    permission_classes = [IsParticipant, IsModerator]

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
