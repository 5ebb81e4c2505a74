"""Signaling endpoints (talk-signaling A2, A4, A5): settings, and internal signaling's send and pull.

``signaling_view`` serves ``/api/v3/signaling/{token}``: an async view, so a waiting poll
holds no thread of its own beyond Django's, no database connection and runs no query.
It runs the OCS machinery (authentication, Talk's CSRF rule, body parsing, the envelope)
in a synchronous step, waits on the channel layer, then builds the answer in a second
synchronous step. POST (send) is a plain OCS view run from it. The view is
``csrf_exempt`` (Talk's own 412 rule applies inside) and ``non_atomic_requests`` (a
host's ``ATOMIC_REQUESTS`` cannot wrap an async view).
"""

import re

from asgiref.sync import SyncToAsync, async_to_sync, sync_to_async
from django.db import transaction
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response

from ..access import Actor, find_room
from ..conf import app_settings
from ..constants import TOKEN_PATTERN
from ..exceptions import BadRequest, NotFound, RoomNotFound
from ..models import Session, kill_cutoff, user_display_name
from ..openapi.operations import SIGNALING_OPERATIONS, SIGNALING_SETTINGS_OPERATIONS
from ..openapi.schema import OCSAutoSchema
from ..renderers import OCSResponse
from ..signaling import messages as rules
from ..signaling import pull, relay
from ..signaling.config import CONVERSATION_CLUSTER, INTERNAL, settings_payload, signaling_mode
from .base import OCSView

#: How long a poll waits when nothing arrives (reference PULL_MESSAGES_TIMEOUT).
PULL_TIMEOUT = 30
DISABLED = "Internal signaling disabled."
NO_SESSION = "You have no Talk session in this conversation: join it again"
#: ``meta.message`` of a pull whose session ended during the wait.
PULL_ENDED = {404: NO_SESSION, 409: "Your Talk session was replaced by a newer one of yours (duplicate session)"}
TOKEN_RE = re.compile(TOKEN_PATTERN)


class SignalingSettingsView(OCSView):
    """GET ``signaling/settings?token=``: mode, ticket, STUN and TURN servers; 404 for an unknown room."""

    schema = OCSAutoSchema(SIGNALING_SETTINGS_OPERATIONS, tag="signaling", name="signaling-settings")

    def get(self, request):
        token = self.params.string("token", max_length=64)
        actor = Actor.from_request(request)
        room = None
        if token:
            try:
                room = find_room(token, actor) if TOKEN_RE.fullmatch(token) else None
            except RoomNotFound:
                room = None
            if room is None:
                raise NotFound(None, "Conversation not found")
        elif signaling_mode() == CONVERSATION_CLUSTER:
            # The reference throws (a 500) here: every room has its own server, so name none.
            raise BadRequest("token", "In conversation_cluster mode the settings need the room's token")
        payload = settings_payload(
            user_id=actor.user_id,
            room=room,
            display_name=user_display_name(actor.user) if actor.user else "",
            issuer=app_settings.SIGNALING_BACKEND_URL or request.build_absolute_uri("/"),
        )
        return OCSResponse(payload)


class SignalingSendView(OCSView):
    """POST ``signaling/{token}``: relay ``messages`` (talk_calls.signaling.messages); 200 null."""

    def post(self, request, token):
        if signaling_mode() != INTERNAL:
            return OCSResponse(DISABLED, status=400, message=DISABLED)
        items = rules.parse_messages(self.params.raw("messages"))
        session = pull.find_session(token, Actor.from_request(request))
        if session is None:
            return OCSResponse(None)  # nothing can be relayed, as in the reference
        rules.check_rate(session.session_id, sum(1 for i in items if isinstance(i, dict) and i.get("ev") == "message"))
        attendee = session.attendee
        deliveries = rules.deliveries(
            items,
            sender_id=session.session_id,
            participant_type=attendee.participant_type,
            permissions=attendee.effective_permissions(session.room),
            live_ids=lambda ids: live_session_ids(session.room_id, ids),
        )
        if deliveries:
            async_to_sync(relay.send_messages)(deliveries)
        return OCSResponse(None)


def live_session_ids(room_id: int, session_ids) -> set[str]:
    """Return which of ``session_ids`` are sessions of the room not yet due for removal."""
    sessions = Session.objects.filter(room_id=room_id, session_id__in=list(session_ids), last_ping__gte=kill_cutoff())
    return set(sessions.values_list("session_id", flat=True))


class SignalingPullView(OCSView):
    """GET ``signaling/{token}`` in two synchronous steps around the wait (see ``signaling_view``)."""

    def get(self, request, token):
        if signaling_mode() != INTERNAL:
            return OCSResponse(DISABLED, status=400, message=DISABLED)
        self.actor = Actor.from_request(request)
        self.session = pull.start(token, self.actor)
        if self.session is None:
            return OCSResponse([pull.empty_users()], status=404, message=NO_SESSION)
        response = OCSResponse(None)
        response.poll = self.session
        return response

    def answer(self, messages: list[str]):
        """Return the finished response after the wait (its own OCS error handling)."""
        response: Response
        try:
            data, status = pull.finish(self.session, messages)
            response = OCSResponse(data, status=status, message=PULL_ENDED.get(status))
        except Exception as exc:  # noqa: BLE001 - the OCS handler answers or re-raises, as in dispatch()
            response = self.handle_exception(exc)
        self.response = self.finalize_response(self.request, response)
        return self.response


send_view = SignalingSendView.as_view()


def release_request_thread() -> None:
    """Let the idle thread Django's ASGI handler keeps for this request end during the wait.

    Django runs each request's synchronous parts (its middleware, our two steps) on one
    thread of the request's own, kept until the request ends: 1,000 waiting polls would
    park 1,000 threads (about 170 kB each). Nothing runs on it while the poll waits, so
    shut its executor down; the next synchronous step gets a fresh thread (asgiref creates
    one per context on demand) that the handler ends with the request. Uses asgiref's
    per-context executor map; if that ever changes, the thread simply stays.
    """
    contexts = getattr(SyncToAsync, "thread_sensitive_context", None)
    executors = getattr(SyncToAsync, "context_to_thread_executor", None)
    context = contexts.get(None) if contexts is not None else None
    if context is None or executors is None or getattr(context, "_executor", None) is not None:
        return  # no per-request thread, or one its owner manages
    executor = executors.pop(context, None)
    if executor is not None:
        executor.shutdown(wait=False)


@csrf_exempt
@transaction.non_atomic_requests
async def signaling_view(request, token):
    """GET: long-poll pull; other methods: the send view (and its 405s)."""
    if request.method != "GET":
        return await sync_to_async(send_view)(request, token=token)
    view = SignalingPullView()
    view.setup(request, token=token)
    response = await sync_to_async(view.dispatch)(request, token=token)
    session = getattr(response, "poll", None)
    if session is None:
        return response
    await relay.join_group(session.room_id, session.session_id)
    release_request_thread()
    messages, _refreshed = await relay.wait(session.session_id, timeout=PULL_TIMEOUT)
    response = await sync_to_async(view.answer)(messages)
    if response.status_code in (404, 409):
        await relay.leave_group(session.room_id, session.session_id)
    return response


class SignalingDescription(OCSView):
    """``signaling/{token}`` as the API description shows it; never dispatched.

    drf-spectacular describes APIView classes only, and ``signaling_view`` is a plain async
    view: its ``cls`` names this class, whose GET and POST are those of
    ``SignalingPullView`` and ``SignalingSendView``.
    """

    schema = OCSAutoSchema(SIGNALING_OPERATIONS, tag="signaling", name="signaling")
    http_method_names = ["get", "post"]
    get = SignalingPullView.get
    post = SignalingSendView.post


# Read by drf-spectacular's endpoint enumerator (as on a DRF view made by ``as_view``).
signaling_view.cls = SignalingDescription  # type: ignore[attr-defined]
signaling_view.initkwargs = {}  # type: ignore[attr-defined]
