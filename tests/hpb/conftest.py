"""Fixtures of the HPB tests: the Debian binaries started per test on free loopback ports,
configured from ``TALK_CALLS`` through ``talk_calls.hpb.config``, against the live server.

``signaling`` is one ``nextcloud-spreed-signaling`` without MCU whose backend is the live
server; ``janus`` is a Janus; ``mcu_signaling`` a signaling server that uses it.
"""

import aioice.ice
import pytest

from talk_calls.hpb.config import SignalingServerConfig

from .media import MediaLoop
from .processes import NETNS_ADDRESS, NETNS_INTERFACE, free_port, in_network_namespace, start_janus, start_signaling

SECRET = "hpb-tests-shared-secret-0123456789"

pytestmark = [pytest.mark.hpb]


def _signaling(settings, live_server, folder, janus_url: str = ""):
    """Start a signaling server whose backend is the live server, and point ``TALK_CALLS`` at it."""
    port = free_port()
    settings.TALK_CALLS = {
        "SIGNALING_SERVERS": [{"server": f"http://127.0.0.1:{port}", "verify": False}],
        "SIGNALING_SECRET": SECRET,
    }
    config = SignalingServerConfig(listen=f"127.0.0.1:{port}", backend_url=live_server.url + "/", janus_url=janus_url)
    process = start_signaling(folder, config)
    process.url = f"http://127.0.0.1:{port}"
    return process


def _stopped(process) -> None:
    """Stop ``process`` and print the end of its log (pytest shows it when the test failed)."""
    process.stop()
    print(f"--- {process.name} log (last 4000 characters)\n{process.log[-4000:]}")


@pytest.fixture
def signaling(settings, live_server, tmp_path):
    process = _signaling(settings, live_server, tmp_path / "signaling")
    yield process
    _stopped(process)


@pytest.fixture
def janus(tmp_path):
    process = start_janus(tmp_path / "janus", ice_interface=NETNS_INTERFACE if in_network_namespace() else "")
    yield process
    _stopped(process)


@pytest.fixture
def mcu_signaling(settings, live_server, janus, tmp_path):
    process = _signaling(settings, live_server, tmp_path / "signaling", janus_url=f"ws://127.0.0.1:{janus.ports['ws']}")
    yield process
    _stopped(process)


@pytest.fixture
def media(monkeypatch):
    """An asyncio loop for aiortc peers whose ICE offers one address only: 127.0.0.1, or the
    network namespace's own address inside one."""
    address = NETNS_ADDRESS if in_network_namespace() else "127.0.0.1"
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: [address])
    loop = MediaLoop()
    yield loop
    loop.close()
