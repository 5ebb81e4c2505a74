"""Call state: join, change flags, leave, end (reference sections 3.2-3.4, 4.5, 7).

Every function that changes the room's call takes the room row lock first
(``locking.lock_room``), then works on attendee and session rows, so call transitions of
one room are serialised on PostgreSQL (``update_call_flags`` only touches its own session
row, with a conditional update, and takes no room lock). The transitions that race are
conditional updates on top of that (``active_since`` set only where null, cleared only
where set, ``call_flag`` merged with a database-side OR, flags changed only where the
session is still in the call), and only the request that changed the row records the
event and sends the signal, after commit. Every way a call ends goes through
``close_call``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, Exists, Expression, F, Q, Value, When
from django.utils import timezone

from .. import signals
from ..access import Actor, Participant, start_call_refusal
from ..conf import app_settings
from ..constants import (
    DEFAULT_JOIN_FLAGS,
    IN_CALL_FLAGS_MAX,
    MODERATOR_TYPES,
    NO_CALL_ROOM_TYPES,
    ActorType,
    CallEventKind,
    InCallFlag,
    LobbyState,
    Permission,
    ReadOnly,
    RoomType,
)
from ..constants import RecordingConsent as ConsentSetting
from ..exceptions import (
    FLAGS_WITHOUT_IN_CALL,
    NOT_IN_CALL,
    BadRequest,
    CheckForbidden,
    InvalidParameter,
    NoTalkSession,
)
from ..models import (
    Attendee,
    CallEvent,
    CallNotification,
    RecordingConsent,
    Room,
    Session,
    instance_default_permissions,
)
from ..sqlrows import can_update_returning, pk_column
from .events import call_summary, ended_kind, participants_changed, record_event, send_on_commit
from .locking import lock_room
from .membership import readd_one_to_one_partners
from .notifications import mark_processed, ring_on_call_start

#: in_call values that contain IN_CALL (odd numbers 1..15).
IN_CALL_VALUES = [value for value in range(IN_CALL_FLAGS_MAX + 1) if value & InCallFlag.IN_CALL]


def mask_flags(flags: int, participant: Participant) -> int:
    """Strip audio and video bits the participant may not publish (reference section 3.2 step 7)."""
    permissions = participant.permissions
    if not permissions & Permission.PUBLISH_AUDIO:
        flags &= ~InCallFlag.WITH_AUDIO
    if not permissions & Permission.PUBLISH_VIDEO:
        flags &= ~InCallFlag.WITH_VIDEO
    return int(flags)


def fresh_in_call_exists(room: Room, *, exclude_session: Session | None = None, now=None) -> bool:
    """Return whether a session of ``room`` other than ``exclude_session`` counts as in the call."""
    sessions = Session.objects.fresh_in_call(room, now)
    if exclude_session is not None:
        sessions = sessions.exclude(pk=exclude_session.pk)
    return sessions.exists()


def _set_session_flags(session: Session, flags: int, *, only_if_in_call: bool = False) -> bool:
    """Write ``flags`` on the session (refreshing ``last_ping``); return whether a row changed."""
    now = timezone.now()
    sessions = Session.objects.filter(pk=session.pk)
    if only_if_in_call:
        sessions = sessions.filter(in_call__in=IN_CALL_VALUES)
    changed = sessions.update(in_call=flags, last_ping=now)
    if changed:
        session.in_call, session.last_ping = flags, now
    return bool(changed)


def _set_flags_and_last_joined_call(session: Session, attendee: Attendee, flags: int, now: datetime) -> None:
    """Write ``flags`` on the session (refreshing ``last_ping``) and ``now`` as the attendee's
    ``last_joined_call``: one statement on PostgreSQL (a data-modifying ``WITH``, which
    keeps a call start within the join's budget of 8), two elsewhere."""
    if connection.vendor != "postgresql":
        _set_session_flags(session, flags)
        Attendee.objects.filter(pk=attendee.pk).update(last_joined_call=now)
        attendee.last_joined_call = now
        return
    quote, ping = connection.ops.quote_name, timezone.now()
    sql = (
        f"WITH s AS (UPDATE {quote(Session._meta.db_table)} SET {quote('in_call')} = %s, {quote('last_ping')} = %s"
        f" WHERE {quote(pk_column(Session))} = %s)"
        f" UPDATE {quote(Attendee._meta.db_table)} SET {quote('last_joined_call')} = %s"
        f" WHERE {quote(pk_column(Attendee))} = %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [int(flags), adapt(ping), session.pk, adapt(now), attendee.pk])
    session.in_call, session.last_ping = flags, ping
    attendee.last_joined_call = now


def disconnect(room: Room, attendee: Attendee, session: Session) -> bool:
    """Take ``session`` out of the call (room lock held); record ``call_left``; return whether it was in.

    Sends ``participant_left_call`` and ``participants_changed`` on commit when it was in.
    """
    changed = (
        Session.objects.filter(pk=session.pk)
        .exclude(in_call=InCallFlag.DISCONNECTED)
        .update(in_call=InCallFlag.DISCONNECTED)
    )
    session.in_call = InCallFlag.DISCONNECTED
    if not changed:
        return False
    record_event(room, CallEventKind.CALL_LEFT, attendee, call_started_at=room.active_since)
    send_on_commit(signals.participant_left_call, room, attendee=attendee, session_id=session.session_id)
    participants_changed(room, [session.session_id])
    return True


def _take_everyone_out(room: Room) -> list[str]:
    """Set every session of the room still flagged in the call to 0 (one update); return their
    ids (from the UPDATE itself where the backend can return rows from one)."""
    if can_update_returning(connection):
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(Session._meta.db_table)} SET {quote('in_call')} = %s"
                f" WHERE {quote('room_id')} = %s AND {quote('in_call')} > %s"
                f" RETURNING {quote(pk_column(Session))}, {quote('session_id')}",
                [int(InCallFlag.DISCONNECTED), room.pk, int(InCallFlag.DISCONNECTED)],
            )
            return [session_id for _, session_id in sorted(cursor.fetchall())]
    in_call = Session.objects.filter(room=room).in_call()
    session_ids = list(in_call.values_list("session_id", flat=True))
    if session_ids:
        in_call.update(in_call=InCallFlag.DISCONNECTED)
    return session_ids


def close_call(
    room: Room, *, attendee: Attendee | None = None, for_everyone: bool = False, started_before=None, now=None
) -> CallEvent | None:
    """Close the room's call (room lock held); return the CallEvent, or None when another request did.

    The one way a call ends. Conditional reset: only the request that clears
    ``active_since`` (of a call started at or before ``started_before``, if given) records
    the event (``call_ended_everyone`` with ``for_everyone``, else ``call_ended`` or
    ``call_missed``, actor ``attendee`` or the system) and sends ``call_ended``. Sessions
    still flagged in the call (with ``for_everyone``, every one; otherwise the ones that
    stopped pinging, which nobody counts) are taken out in one update without
    ``call_left``: no session says "in the call" while the room has none (known problems
    section 3, property 2). Sends ``participants_changed`` for them on commit.
    """
    now = now or timezone.now()
    started_at = room.active_since
    running = Room.objects.filter(pk=room.pk, active_since__isnull=False)
    if started_before is not None:
        running = running.filter(active_since__lte=started_before)
    won = running.update(active_since=None, call_flag=0, call_started_by=None, last_activity=now)
    if not won and for_everyone:
        return None
    room.active_since, room.call_flag, room.call_started_by_id = None, 0, None
    session_ids = _take_everyone_out(room)
    if not won:
        # A call flag left without a call (the ended call's flags) is cleared all the same.
        Room.objects.filter(pk=room.pk).exclude(call_flag=0).update(call_flag=0)
        if session_ids:
            participants_changed(room, session_ids)
        return None
    summary = call_summary(room, started_at, now)
    kind = CallEventKind.CALL_ENDED_EVERYONE if for_everyone else ended_kind(room, summary)
    event = record_event(room, kind, attendee, parameters=summary, call_started_at=started_at, now=now)
    send_on_commit(signals.call_ended, room, attendee=attendee, end_for_all=for_everyone, event=event)
    participants_changed(room, session_ids)
    return event


def end_call(room: Room, *, attendee: Attendee | None = None, now=None) -> CallEvent | None:
    """End the room's call if it runs (room lock held); return the CallEvent, or None if it did not run."""
    return close_call(room, attendee=attendee, now=now)


def end_call_if_empty(room: Room, *, attendee: Attendee | None = None, now=None) -> CallEvent | None:
    """End the call when no fresh session remains in it (room lock held); return the event or None."""
    if room.active_since is None and not room.call_flag:
        return None
    if fresh_in_call_exists(room, now=now):
        return None
    return end_call(room, attendee=attendee, now=now)


def recording_consent_required(room: Room) -> bool:
    """Return whether joining a call in ``room`` needs ``recordingConsent`` (CONTRACT section 8)."""
    setting = app_settings.RECORDING_CONSENT
    if setting == ConsentSetting.REQUIRED:
        return True
    return setting == ConsentSetting.OPTIONAL and room.recording_consent == ConsentSetting.REQUIRED


@dataclass
class _Join:
    """One join of a session into a room's call, as checked under the room lock."""

    participant: Participant
    room: Room
    session: Session
    now: datetime
    requested: int
    masked: int
    old_flags: int
    others_in_call: bool
    #: Whether the caller has ringing rows of this room to mark processed.
    ringing: bool
    #: Whether the room has ringing rows at all (of this or an earlier call).
    room_ringing: bool
    started: bool = False

    @property
    def attendee(self) -> Attendee:
        return self.participant.attendee

    @property
    def starting(self) -> bool:
        """Whether the session enters the call (rather than changing its flags in it)."""
        return self.old_flags == InCallFlag.DISCONNECTED and self.masked != InCallFlag.DISCONNECTED

    @property
    def first_in(self) -> bool:
        """Whether nobody fresh is in the call this session enters: it starts a call."""
        return self.starting and not self.others_in_call


def _check_join(participant: Participant, session: Session, requested: int) -> _Join:
    """Lock the room and check the join: ``BadRequest("type")`` for rooms without calls,
    ``NoTalkSession`` for a session that ended meanwhile, ``CheckForbidden`` (data []) when the
    join would start a call the participant may not start (reference section 3.9)."""
    room = lock_room(participant.room)
    if room.type in NO_CALL_ROOM_TYPES:
        raise BadRequest("type", "This conversation has no calls (a former one-to-one, a changelog or a note to self)")
    now = timezone.now()
    # One read once the lock is held (a statement that waited for the lock still reads
    # other rows as they were when it started): the session's flags, whether others are
    # in the call, whether the caller has ringing rows to mark processed.
    state = (
        Session.objects.filter(pk=session.pk)
        .annotate(
            others_in_call=Exists(Session.objects.fresh_in_call(room, now).exclude(pk=session.pk)),
            ringing=Exists(
                CallNotification.objects.filter(room=room, attendee=participant.attendee, processed_at__isnull=True)
            ),
            room_ringing=Exists(CallNotification.objects.filter(room=room, processed_at__isnull=True)),
        )
        .values_list("in_call", "others_in_call", "ringing", "room_ringing")
        .first()
    )
    if state is None:  # the session ended while this request waited for the lock
        raise NoTalkSession(participant.room.token)
    session.in_call, others_in_call, ringing, room_ringing = state
    join = _Join(
        participant=participant,
        room=room,
        session=session,
        now=now,
        requested=requested,
        masked=mask_flags(requested, participant),
        # Flags of a session while no call runs are left over from an ended call: this
        # join starts one (permission check, ``call_started``), it does not update flags.
        old_flags=session.in_call if room.active_since is not None else InCallFlag.DISCONNECTED,
        others_in_call=others_in_call,
        ringing=ringing,
        room_ringing=room_ringing,
    )
    if join.first_in and not participant.can_start_call():
        raise CheckForbidden(start_call_refusal(participant))
    return join


def _start_or_join(join: _Join, *, silent: bool, recording_consent: bool) -> None:
    """Store the join (room lock held): consent row, session flags, ``call_flag``, the call's
    start (conditional) and its history row (``call_started`` or ``call_joined``)."""
    room, attendee, now = join.room, join.attendee, join.now
    if recording_consent and app_settings.RECORDING_CONSENT != ConsentSetting.NOT_REQUIRED:
        RecordingConsent.objects.create(
            room=room, actor_type=attendee.actor_type, actor_id=attendee.actor_id, created_at=now
        )
    _store_flags(join)
    if join.starting:
        kind = CallEventKind.CALL_STARTED if join.started or not join.others_in_call else CallEventKind.CALL_JOINED
        parameters = {"silent": True} if kind == CallEventKind.CALL_STARTED and silent else {}
        record_event(room, kind, attendee, parameters=parameters, call_started_at=room.active_since, now=now)


def _store_flags(join: _Join) -> None:
    """Write the session's flags, the attendee's ``last_joined_call``, the room's ``call_flag``
    and, for the request that wins the conditional update, the call's start."""
    room, attendee, now = join.room, join.attendee, join.now
    if join.first_in and room.active_since is not None:
        # Nobody fresh is left in a call the room still shows: close it, so this join
        # starts a new call instead of joining a ghost one.
        end_call(room, now=now)
    if join.masked == InCallFlag.DISCONNECTED:
        _set_session_flags(join.session, join.masked)
    else:
        _set_flags_and_last_joined_call(join.session, attendee, join.masked, now)
    # One update, and only when something changes: merge the flags, and start the call
    # where none runs (the room lock makes "none runs" the state read above; the update
    # stays conditional anyway).
    no_call = Q(active_since__isnull=True)
    changes: dict[str, Expression] = {}
    if room.call_flag | join.requested != room.call_flag:
        changes["call_flag"] = F("call_flag").bitor(join.requested)
    if room.active_since is None:
        changes.update(
            active_since=Case(When(no_call, then=Value(now)), default=F("active_since")),
            call_started_by=Case(
                When(no_call, then=Value(attendee.pk)),
                default=F("call_started_by"),
                output_field=Room._meta.get_field("call_started_by").target_field,
            ),
            last_activity=Case(When(no_call, then=Value(now)), default=F("last_activity")),
        )
    if changes:
        Room.objects.filter(pk=room.pk).update(**changes)
    room.call_flag |= join.requested
    join.started = room.active_since is None
    if join.started:
        room.active_since, room.call_started_by_id = now, attendee.pk


def _announce_join(join: _Join, *, silent: bool, silent_for) -> None:
    """Ring on start, mark the caller's own ringing processed, send the join's signals on commit."""
    room, attendee, session, now = join.room, join.attendee, join.session, join.now
    if join.started:
        if not silent:
            ring_on_call_start(room, attendee, silent_for=silent_for, now=now, earlier_pending=join.room_ringing)
        send_on_commit(signals.call_started, room, attendee=attendee, flags=join.requested, silent=silent)
    if join.ringing and join.masked != InCallFlag.DISCONNECTED and not (join.started and not silent):
        # (A call start that rings has just marked every pending row of the room processed.)
        mark_processed(room, attendee, now=now)
    if join.starting:
        send_on_commit(signals.participant_joined_call, room, attendee=attendee, session=session, flags=join.masked)
    elif join.old_flags != join.masked:
        send_on_commit(
            signals.participant_flags_changed,
            room,
            attendee=attendee,
            session=session,
            old_flags=join.old_flags,
            flags=join.masked,
        )
    participants_changed(room, [session.session_id])


def join_call(
    participant: Participant,
    *,
    flags: int | None = None,
    silent: bool = False,
    silent_for: list[str] | tuple = (),
    recording_consent: bool = False,
) -> None:
    """Put the caller's session in the call (reference section 3.2 steps 3-8): check,
    start or join, announce.

    In the reference's order: raise ``BadRequest("consent")`` when recording consent is
    required and not given; re-add a one-to-one partner who left; raise ``NoTalkSession``
    (data null) when the caller has no Talk session; then lock the room and check
    (``_check_join``). Store one RecordingConsent row per consenting join (while consent
    is configured). Record ``call_started`` (the request that sets ``active_since``; it
    also becomes the room's ``call_started_by``) or ``call_joined``; merge the unmasked
    ``flags`` into ``call_flag`` with a database-side OR; ring on start
    (``notifications.ring_on_call_start``); mark the caller's own ringing processed.
    Sends ``call_started`` / ``participant_joined_call`` / ``participant_flags_changed``
    on commit.
    """
    room = participant.room
    if not recording_consent and recording_consent_required(room):
        raise BadRequest("consent", "Recording consent is required to join this call: send recordingConsent=true")
    readd_one_to_one_partners(room)
    session = participant.session
    if session is None:
        raise NoTalkSession(participant.room.token)
    requested = int(DEFAULT_JOIN_FLAGS if flags is None else flags)
    with transaction.atomic():
        join = _check_join(participant, session, requested)
        _start_or_join(join, silent=silent, recording_consent=recording_consent)
        _announce_join(join, silent=silent, silent_for=silent_for)


def _publish_bits(flags: int) -> int:
    """Return the permissions ``mask_flags`` needs to keep ``flags``' audio and video bits."""
    needed = 0
    if flags & InCallFlag.WITH_AUDIO:
        needed |= Permission.PUBLISH_AUDIO
    if flags & InCallFlag.WITH_VIDEO:
        needed |= Permission.PUBLISH_VIDEO
    return int(needed)


def _ping_statement(needed: int) -> str:
    """Return the UPDATE of ``ping_call``: the checks of ``PUT /call`` as one WHERE clause.

    Written in SQL (PostgreSQL and SQLite alike), not with the ORM: a ping is the most
    frequent request of a call, and building this filter with the ORM cost more CPU than
    the whole rest of the request. The permission rule is ``Attendee.effective_permissions``.
    """
    quote = connection.ops.quote_name
    session, attendee, room = (quote(model._meta.db_table) for model in (Session, Attendee, Room))
    moderators = ", ".join(str(int(kind)) for kind in MODERATOR_TYPES)
    publish = ""
    if needed:
        publish = f"""
            AND (a.participant_type IN ({moderators})
                 OR (a.permissions <> 0 AND (a.permissions & {needed}) = {needed})
                 OR (a.permissions = 0 AND r.default_permissions <> 0 AND (r.default_permissions & {needed}) = {needed})
                 OR (a.permissions = 0 AND r.default_permissions = 0 AND %(default_may_publish)s))"""
    return f"""
        UPDATE {session} SET last_ping = %(now)s WHERE id = (
            SELECT s.id FROM {session} s
            JOIN {attendee} a ON a.id = s.attendee_id
            JOIN {room} r ON r.id = s.room_id
            WHERE s.session_id = %(session_id)s AND r.token = %(token)s AND s.in_call = %(flags)s
            AND a.actor_type IN (%(actor_type)s, %(actor_type_2)s) AND a.actor_id = %(actor_id)s
            AND r.read_only = {int(ReadOnly.READ_WRITE)} AND r.type <> {int(RoomType.CHANGELOG)}
            AND (r.lobby_state = {int(LobbyState.NONE)} OR a.participant_type IN ({moderators})){publish}
        )"""


def ping_call(token: str, actor: Actor, *, flags: int) -> bool:
    """Refresh the caller's ``last_ping`` in one conditional UPDATE when ``PUT /call`` with
    ``flags`` would change nothing else; return whether it did (reference section 3.3).

    The update matches only where every check of the full path passes and the masked
    flags equal the session's: the caller's own Talk session of room ``token`` (from its
    Django session, owned by the actor as ``Actor.owns`` says), in the call with exactly
    ``flags``, a read-write room, no lobby holding the caller (a lobby timer or
    LOBBY_IGNORE take the full path), and permissions that let it publish what ``flags``
    say. Takes no lock and sends no signal: nothing a listener sees has changed
    (docs/signals.md). Otherwise change nothing and return False: ``update_call_flags``
    answers the errors and makes the changes.
    """
    session_id = actor.sessions.session_id(token)
    if not session_id or not flags & InCallFlag.IN_CALL:
        return False
    if actor.is_user:
        actor_types, actor_id = (ActorType.USERS, ActorType.USERS), actor.user_id
    else:
        actor_types, actor_id = (ActorType.GUESTS, ActorType.EMAILS), actor.sessions.guest_id(token)
        if not actor_id:
            return False
    needed = _publish_bits(flags)
    params = {
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "session_id": session_id,
        "token": token,
        "flags": int(flags),
        "actor_type": str(actor_types[0]),
        "actor_type_2": str(actor_types[1]),
        "actor_id": actor_id,
        "default_may_publish": instance_default_permissions() & needed == needed,
    }
    with connection.cursor() as cursor:
        cursor.execute(_ping_statement(needed), params)
        return cursor.rowcount == 1


def update_call_flags(participant: Participant, *, flags: int) -> None:
    """Change the flags of a session that is in the call (reference section 3.3).

    Raise ``NoTalkSession`` (404 null) when the caller has no Talk session,
    ``InvalidParameter("flags")`` when ``flags`` lack IN_CALL, ``BadRequest()`` (data null)
    when the session is not in the call. The update is conditional on the session still
    being in the call, so a racing leave or end-for-everyone is never undone. The room's
    ``call_flag`` takes the requested flags with a database-side OR while the call runs,
    room row first (the lock order), so it covers every in-call session (the reference
    leaves it, a FIXME there); flags the room already covers cost no room write. Sends
    ``participant_flags_changed`` and ``participants_changed`` on commit when the flags
    changed; a call that changes nothing but ``last_ping`` sends no signal (as ``ping_call``).
    """
    session = participant.session
    if session is None:
        raise NoTalkSession(participant.room.token)
    if not flags & InCallFlag.IN_CALL:
        raise InvalidParameter("flags", FLAGS_WITHOUT_IN_CALL)
    masked = mask_flags(flags, participant)
    with transaction.atomic():
        old_flags = Session.objects.filter(pk=session.pk).values_list("in_call", flat=True).first()
        if old_flags is None or not old_flags & InCallFlag.IN_CALL:
            raise BadRequest(None, NOT_IN_CALL)
        room = participant.room
        if flags & ~room.call_flag:
            # Room row before session row (the lock order); a PUT whose flags the room
            # already covers (the usual ping) writes and locks no room row.
            Room.objects.filter(pk=room.pk, active_since__isnull=False).exclude(
                call_flag=F("call_flag").bitor(flags)
            ).update(call_flag=F("call_flag").bitor(flags))
        if not _set_session_flags(session, masked, only_if_in_call=True):
            raise BadRequest(None, NOT_IN_CALL)
        if old_flags == masked:
            return
        send_on_commit(
            signals.participant_flags_changed,
            room,
            attendee=participant.attendee,
            session=session,
            old_flags=old_flags,
            flags=masked,
        )
        participants_changed(room, [session.session_id])


def leave_call(participant: Participant, *, end_for_all: bool = False) -> None:
    """Leave the call, or end it for everyone (reference section 3.4).

    Locks the room. A moderator with ``end_for_all`` who wins the conditional reset ends
    the call for everyone (one bulk update, one ``call_ended_everyone``); a loser, or a
    non-moderator, leaves normally: ``call_left``, then ``call_ended``/``call_missed`` when
    no fresh session remains. A leave from a session not in the call still closes a call
    nobody fresh is in. Raise ``NoTalkSession`` (404 null) when the caller has no Talk session.
    """
    if participant.session is None:
        raise NoTalkSession(participant.room.token)
    with transaction.atomic():
        room = lock_room(participant.room)
        if (
            end_for_all
            and participant.is_moderator
            and close_call(room, attendee=participant.attendee, for_everyone=True) is not None
        ):
            return
        disconnect(room, participant.attendee, participant.session)
        end_call_if_empty(room, attendee=participant.attendee)


def end_call_for_everyone(room: Room, *, attendee: Attendee | None = None, started_before=None) -> bool:
    """End the running call for every session (reference section 3.4 step 4); return whether this call won.

    Takes the room lock (joins an outer transaction if there is one). The winner of the
    conditional reset sets every session's flags to 0 in one update and records one
    ``call_ended_everyone`` (actor ``attendee``, or the system actor for None). With
    ``started_before``, only a call that started at or before it is ended.
    """
    with transaction.atomic():
        lock_room(room)
        event = close_call(room, attendee=attendee, for_everyone=True, started_before=started_before)
        return event is not None


def end_expired_calls(*, now=None) -> int:
    """End for everyone, with the system actor, every call older than ``MAX_CALL_DURATION``; return how many."""
    limit = app_settings.MAX_CALL_DURATION
    if not limit or limit <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=limit)
    ended = 0
    for room in Room.objects.filter(active_since__lte=cutoff):
        ended += end_call_for_everyone(room, started_before=cutoff)
    return ended
