"""DRF permission classes, one rule each, in DRF's manners (``rest_framework/permissions.py``).

``has_permission`` answers a bool and never raises; ``exception_class`` names the OCS
error the class stands for, which ``views.base.OCSView.permission_denied`` raises when it
refuses. Classes compose with ``&``, ``|`` and ``~`` (a composition that refuses answers
DRF's own 403, rendered as OCS).

On a view, list them in the reference's check order (reference 3.0): ``CallsEnabled``
(403 before any room lookup), ``IsParticipant`` (404), ``ReadWriteConversation`` (403),
``ModeratorOrNoLobby`` (412), ``CanStartCall`` (403). Classes after ``IsParticipant``
read ``view.participant`` (``views.base.ParticipantView``). ``IsModerator`` takes the
place of ``CanStartCall`` where call-api.md asks for a moderator (ring), so the lobby
(412) is still checked before it.
"""

from rest_framework.permissions import BasePermission

from .access import START_CALLS_REFUSALS, is_held_in_lobby
from .conf import app_settings
from .constants import ParticipantType, Permission, StartCalls
from .exceptions import (
    CheckForbidden,
    ForbiddenError,
    LobbyActive,
    NoTalkSession,
    NotAModerator,
    NotLoggedIn,
    OCSError,
    ParticipantNotFound,
    ReadOnlyRoom,
)


def _is_logged_in(request) -> bool:
    return bool(request.user and request.user.is_authenticated)


class OCSPermission(BasePermission):
    """Base: a rule and the OCS error (``exception_class``) its refusal answers.

    ``message`` (DRF's name) is the ``meta.message`` of a refusal; None keeps the
    exception class's ``default_detail``.
    """

    exception_class: type[OCSError] = CheckForbidden
    message: str | None = None


class IsLoggedIn(OCSPermission):
    """Pass logged-in users; anonymous callers get 401 (``meta.statuscode`` 997)."""

    exception_class = NotLoggedIn

    def has_permission(self, request, view):
        return _is_logged_in(request)


class CallsEnabled(OCSPermission):
    """Pass unless ``START_CALLS`` is 3 (calls disabled): 403 ``[]``, even for unknown rooms."""

    exception_class = CheckForbidden
    message = START_CALLS_REFUSALS[StartCalls.DISABLED]

    def has_permission(self, request, view):
        return app_settings.START_CALLS != StartCalls.DISABLED


class IsParticipant(OCSPermission):
    """Pass attendees of the room; 404 ``[]`` for a missing room or a caller who is not an attendee."""

    exception_class = ParticipantNotFound

    def has_permission(self, request, view):
        return view.find_participant() is not None


class ReadWriteConversation(OCSPermission):
    """Pass unless the room is read-only or a changelog: 403 ``[]``."""

    exception_class = ReadOnlyRoom

    def has_permission(self, request, view):
        return not view.participant.room.is_read_only


class ModeratorOrNoLobby(OCSPermission):
    """Pass moderators, LOBBY_IGNORE holders, and everyone while the lobby is open; else 412 ``[]``."""

    exception_class = LobbyActive

    def has_permission(self, request, view):
        return not is_held_in_lobby(view.participant)


class CanStartCall(OCSPermission):
    """Pass participants whose effective permissions contain CALL_START; else 403 ``[]``."""

    exception_class = CheckForbidden
    message = "Your permissions in this conversation do not allow starting calls"

    def has_permission(self, request, view):
        return view.participant.has_permission(Permission.CALL_START)


class IsModerator(OCSPermission):
    """Pass owners, moderators and guest moderators; else 403 ``[]``."""

    exception_class = NotAModerator

    def has_permission(self, request, view):
        return view.participant.is_moderator


class CanRing(IsModerator):
    """``IsModerator`` for ringing (call-api.md: 403 when the caller is not a moderator)."""

    message = "Only moderators can ring attendees"


class IsUserAttendee(OCSPermission):
    """Pass attendees that are users (not guests, not guest moderators); else 404 ``[]``.

    Before ``IsModerator`` where the reference requires a logged-in moderator.
    """

    exception_class = ParticipantNotFound
    message = "Only users who are participants can do this, not guests"

    def has_permission(self, request, view):
        participant = view.participant
        return not participant.is_guest and participant.attendee.is_user


# --- conversation endpoints (reference section 5) ----------------------------------------


class IsNotPlainGuest(OCSPermission):
    """Pass every participant but plain guests (type 4): 403 ``null`` (participant list)."""

    exception_class = ForbiddenError
    message = "Guests cannot list the participants of this conversation"

    def has_permission(self, request, view):
        return view.participant.attendee.participant_type != ParticipantType.GUEST


class IsGuestParticipant(OCSPermission):
    """Pass guests and guest moderators; users get 403 ``null`` (guest name endpoint)."""

    exception_class = ForbiddenError
    message = "Only guests set their name here; users have the name of their account"

    def has_permission(self, request, view):
        return view.participant.is_guest


class HasTalkSession(OCSPermission):
    """Pass participants whose own Talk session was found; else 404 ``null``."""

    exception_class = NoTalkSession

    def has_permission(self, request, view):
        if view.participant.session is not None:
            return True
        self.message = NoTalkSession(view.kwargs["token"]).message()
        return False


class IsUserOr403(OCSPermission):
    """Pass logged-in users; anonymous callers get 403 ``data: null`` (notification-state, reference 3.8)."""

    exception_class = ForbiddenError
    message = "Only logged-in users have call notifications"

    def has_permission(self, request, view):
        return _is_logged_in(request)
