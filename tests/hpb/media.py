"""WebRTC peers for the MCU tests: aiortc publishers and subscribers on loopback only.

aiortc runs on an asyncio loop in a thread of its own (``MediaLoop``), so the test drives
signaling with the synchronous WebSocket client and waits for results here. ICE uses one
address chosen by the ``media`` fixture (aioice otherwise offers every interface address)
and no STUN server (aiortc's default is a public one): nothing leaves the machine.
"""

import asyncio
import threading

from aiortc import AudioStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame


class SmallVideoTrack(VideoStreamTrack):
    """160x120 frames at 30 fps: cheap to encode three times on two cores."""

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=160, height=120)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts, frame.time_base = pts, time_base
        return frame


class MediaLoop:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="aiortc", daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 20.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Peer:
    """One RTCPeerConnection: ``publish()`` makes an audio+video offer; ``subscribe(offer)`` answers."""

    def __init__(self, media: MediaLoop):
        self.media = media
        self.frames = 0
        self.pc = media.run(self._create())

    async def _create(self):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.received = asyncio.Event()

        @pc.on("track")
        def on_track(track):
            if track.kind == "video":
                asyncio.ensure_future(self._count(track))

        return pc

    async def _count(self, track):
        while True:
            try:
                await track.recv()
            except Exception:  # noqa: BLE001 - the track ended (MediaStreamError) when the peer closes
                return
            self.frames += 1
            self.received.set()

    def publish(self) -> str:
        async def offer():
            self.pc.addTransceiver(SmallVideoTrack(), direction="sendonly")
            self.pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
            await self.pc.setLocalDescription(await self.pc.createOffer())
            return self.pc.localDescription.sdp

        return self.media.run(offer())

    def accept_answer(self, sdp: str) -> None:
        self.media.run(self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer")))

    def subscribe(self, offer_sdp: str) -> str:
        async def answer():
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            return self.pc.localDescription.sdp

        return self.media.run(answer())

    def add_candidate(self, candidate: dict) -> None:
        text = candidate.get("candidate") or ""
        if not text:
            return

        async def add():
            parsed = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
            parsed.sdpMid = candidate.get("sdpMid")
            parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
            await self.pc.addIceCandidate(parsed)

        self.media.run(add())

    def wait_for_video(self, timeout: float = 15.0) -> int:
        async def wait():
            await asyncio.wait_for(self.received.wait(), timeout)
            return self.frames

        return self.media.run(wait(), timeout + 1)

    def close(self) -> None:
        self.media.run(self.pc.close())
