"""DRF permission classes, one rule each, in the reference's check order (reference 3.0).

List them on a view in this order: ``CallsEnabled`` (403 before any room lookup),
``IsParticipant`` (404), ``ReadWriteConversation`` (403), ``ModeratorOrNoLobby`` (412),
``CanStartCallPermission`` (403). Each raises its own OCS exception, so the answer
carries the reference's ``data: []``. Views that use them inherit
``views.base.ParticipantView``, which resolves ``view.participant`` once per request.
``IsModerator`` takes the place of ``CanStartCallPermission`` where call-api.md asks for
a moderator (ring), so the lobby (412) is still checked before it. ``IsUserOr403`` is
the notification-state rule (anonymous: 403 ``data: null``).
"""

from rest_framework.permissions import BasePermission

from .access import check_lobby, check_read_write
from .conf import app_settings
from .constants import ParticipantType, Permission, StartCalls
from .exceptions import Forbidden, ForbiddenError, NotAModerator, NotFound, NotLoggedIn, ParticipantNotFound


class IsLoggedIn(BasePermission):
    """Pass logged-in users; anonymous callers get 401 (``meta.statuscode`` 997)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            raise NotLoggedIn()
        return True


class CallsEnabled(BasePermission):
    """Pass unless ``START_CALLS`` is 3 (calls disabled): 403, even for unknown rooms."""

    def has_permission(self, request, view):
        if app_settings.START_CALLS == StartCalls.DISABLED:
            raise Forbidden()
        return True


class IsParticipant(BasePermission):
    """Pass attendees of the room; 404 for a missing room or a caller who is not an attendee."""

    def has_permission(self, request, view):
        return view.participant is not None


class ReadWriteConversation(BasePermission):
    """Pass unless the room is read-only or a changelog: 403."""

    def has_permission(self, request, view):
        check_read_write(view.participant)
        return True


class ModeratorOrNoLobby(BasePermission):
    """Pass moderators, LOBBY_IGNORE holders, and everyone while the lobby is open; else 412."""

    def has_permission(self, request, view):
        check_lobby(view.participant)
        return True


class CanStartCallPermission(BasePermission):
    """Pass participants whose effective permissions contain CALL_START; else 403."""

    def has_permission(self, request, view):
        if not view.participant.has_permission(Permission.CALL_START):
            raise Forbidden()
        return True


class IsModerator(BasePermission):
    """Pass owners, moderators and guest moderators; else 403."""

    def has_permission(self, request, view):
        if not view.participant.is_moderator:
            raise NotAModerator()
        return True


class IsLoggedInModerator(BasePermission):
    """Pass owners and moderators that are users; guests get 404, other users 403."""

    def has_permission(self, request, view):
        participant = view.participant
        if participant.is_guest or not participant.attendee.is_user:
            raise ParticipantNotFound()
        if not participant.is_moderator:
            raise NotAModerator()
        return True


# --- conversation endpoints (reference section 5) ----------------------------------------


class IsNotPlainGuest(BasePermission):
    """Pass every participant but plain guests (type 4): 403 ``null`` (participant list)."""

    def has_permission(self, request, view):
        if view.participant.attendee.participant_type == ParticipantType.GUEST:
            raise ForbiddenError()
        return True


class IsGuestParticipant(BasePermission):
    """Pass guests and guest moderators; users get 403 ``null`` (guest name endpoint)."""

    def has_permission(self, request, view):
        if not view.participant.is_guest:
            raise ForbiddenError()
        return True


class HasTalkSession(BasePermission):
    """Pass participants whose own Talk session was found; else 404 ``null``."""

    def has_permission(self, request, view):
        if view.participant.session is None:
            raise NotFound()
        return True


class IsUserOr403(BasePermission):
    """Pass logged-in users; anonymous callers get 403 ``data: null`` (notification-state, reference 3.8)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            raise ForbiddenError()
        return True
