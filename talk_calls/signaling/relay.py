"""Internal signaling over the Channels layer: who hears what, and the long-poll wait.

Each Talk session has one channel (a hash of its id: channel names are short ASCII) and
each room one group. ``POST signaling/{token}`` sends to the recipient's channel; every
``participants_changed`` sends a refresh to the room's group and to the sessions it names
(a new session is not in the group before its first poll; not when it names more than
``DIRECT_WAKE_LIMIT``). A poll adds its channel to the
room group, then waits on the channel: the first event ends the wait; a marker the poll
sends to itself (channels are FIFO) collects what is already queued, so several refreshes
make one answer, and another marker sent after the timeout ends an idle wait.

Rules from the trial on this stack (talk-signaling G): never cancel a pending
``receive()`` (on Redis a popped message would be lost): it is shielded, and what it
returns after its poll was abandoned goes back to the channel; sync code reaches the
layer through ``async_to_sync`` from a worker thread only. The layer is Django
Channels' default one (``CHANNEL_LAYERS``); without that setting, one in-memory layer per
process (enough for a single ASGI process, not for several).
"""

import asyncio
import hashlib
import logging
import uuid
from functools import partial

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

#: Event types on a session's channel.
MESSAGE = "talk.message"
REFRESH = "talk.refresh"
MARKER = "talk.marker"

#: Undelivered messages live 5 minutes and a channel holds 200 (the reference's 5 minutes).
FALLBACK_LAYER_OPTIONS = {"expiry": 300, "capacity": 200}
_fallback_layer = None


def channel_layer():
    """Return the default channel layer, or this process's in-memory fallback."""
    global _fallback_layer
    layer = get_channel_layer()
    if layer is not None:
        return layer
    if _fallback_layer is None:
        _fallback_layer = InMemoryChannelLayer(**FALLBACK_LAYER_OPTIONS)
    return _fallback_layer


def channel_name(session_id: str) -> str:
    """Return the channel of a Talk session (ids are 255 characters: too long for a channel name)."""
    return "talk_calls.session." + hashlib.sha256(session_id.encode()).hexdigest()[:40]


def group_name(room_id: int) -> str:
    return f"talk_calls.room.{room_id}"


async def send_messages(deliveries: list[tuple[str, str]]) -> int:
    """Queue each ``(recipient session id, message text)``; return how many were queued.

    A recipient whose channel is full (nobody has polled for a while) loses the message,
    with a log line: the sender's request still succeeds, as in the reference.
    """
    layer = channel_layer()
    queued = 0
    for recipient, text in deliveries:
        try:
            await layer.send(channel_name(recipient), {"type": MESSAGE, "data": text})
            queued += 1
        except ChannelFull:
            logger.warning("Signaling channel of a session is full; message dropped")
    return queued


#: A change naming more sessions than this wakes the room's group only (see ``wake``).
DIRECT_WAKE_LIMIT = 50


async def wake(room_id: int, session_ids) -> None:
    """Send a refresh to the room's group and to each of ``session_ids``.

    The sends to the named sessions reach the ones not in the group yet (a new session
    before its first poll); every session that has polled is in the group. A change that
    names more than ``DIRECT_WAKE_LIMIT`` sessions (ending a call for everyone) is told to
    the group only: one send per session cost more than the rest of ending a call for
    5,000 (docs/PERFORMANCE.md), and only a session that never polled misses it (its first
    poll then waits for the next event instead of answering at once).
    """
    layer = channel_layer()
    await layer.group_send(group_name(room_id), {"type": REFRESH})
    if len(session_ids) > DIRECT_WAKE_LIMIT:
        return
    for session_id in session_ids:
        try:
            await layer.send(channel_name(session_id), {"type": REFRESH})
        except ChannelFull:
            pass  # that channel already holds events: its next poll answers at once


def wake_from_sync(room_id: int, session_ids) -> None:
    """``wake`` from synchronous code (a signal receiver after commit)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(wake)(room_id, list(session_ids))
        return
    # Sync code on the event loop's own thread (never in the app's paths): schedule it.
    asyncio.ensure_future(wake(room_id, list(session_ids)))  # pragma: no cover


async def join_group(room_id: int, session_id: str) -> None:
    """Add the session's channel to the room group (renewed by every poll: memberships expire)."""
    await channel_layer().group_add(group_name(room_id), channel_name(session_id))


async def leave_group(room_id: int, session_id: str) -> None:
    await channel_layer().group_discard(group_name(room_id), channel_name(session_id))


async def _marker_after(layer, channel: str, poll: str, delay: float) -> None:
    await asyncio.sleep(delay)
    await layer.send(channel, {"type": MARKER, "poll": poll})


def _put_back(layer, channel: str, poll: str, task: asyncio.Future) -> None:
    """Return what a receive got after its poll was abandoned to the channel."""
    if task.cancelled() or task.exception() is not None:
        return
    event = task.result()
    if event.get("type") != MARKER:
        asyncio.ensure_future(layer.send(channel, event))


async def wait(session_id: str, *, timeout: float) -> tuple[list[str], bool]:
    """Wait up to ``timeout`` seconds for the session's events; return ``(messages, refreshed)``.

    Runs no database query. If the caller is cancelled (the client went away), nothing is
    lost: messages already taken and the pending receive go back to the channel.
    """
    layer = channel_layer()
    channel = channel_name(session_id)
    poll = uuid.uuid4().hex
    timer = asyncio.ensure_future(_marker_after(layer, channel, poll, timeout))
    messages: list[str] = []
    refreshed = draining = False
    receive = None
    try:
        while True:
            receive = asyncio.ensure_future(layer.receive(channel))
            event = await asyncio.shield(receive)
            receive = None
            kind = event.get("type")
            if kind == MARKER:
                if event.get("poll") == poll:
                    break
                continue  # a marker of an earlier poll of this session
            if kind == MESSAGE:
                messages.append(event["data"])
            elif kind == REFRESH:
                refreshed = True
            else:
                continue
            if not draining:
                draining = True
                timer.cancel()
                await layer.send(channel, {"type": MARKER, "poll": poll})
    except asyncio.CancelledError:
        # Keep the timer (or the drain marker already queued) so a pending receive ends.
        if receive is not None:
            receive.add_done_callback(partial(_put_back, layer, channel, poll))
        for text in messages:
            asyncio.ensure_future(layer.send(channel, {"type": MESSAGE, "data": text}))
        raise
    timer.cancel()
    return messages, refreshed
