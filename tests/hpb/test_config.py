"""``manage.py talk_calls_hpb_config`` writes files each Debian binary starts with."""

import pytest
from django.core.management import CommandError, call_command

from .conftest import SECRET
from .processes import (
    free_port,
    free_port_range,
    free_udp_port,
    janus_libraries,
    start_coturn_from,
    start_janus_from,
    start_signaling_from,
)

pytestmark = [pytest.mark.hpb]


@pytest.fixture
def secret(settings):
    settings.TALK_CALLS = {"SIGNALING_SERVERS": [{"server": "http://127.0.0.1:9"}], "SIGNALING_SECRET": SECRET}


def test_the_command_writes_a_server_conf_the_signaling_server_starts_with(secret, tmp_path):
    port = free_port()
    conf = tmp_path / "server.conf"
    call_command(
        "talk_calls_hpb_config",
        "signaling",
        "--listen",
        f"127.0.0.1:{port}",
        "--backend-url",
        "http://127.0.0.1:8000/",
        "-o",
        str(conf),
    )
    text = conf.read_text()
    assert f"secret = {SECRET}" in text and "url = :loopback:" in text
    process = start_signaling_from(tmp_path, conf, port)
    process.stop()


def test_the_command_writes_a_janus_configuration_janus_starts_with(tmp_path):
    plugins, transports = janus_libraries(tmp_path)
    ws_port = free_port()
    first, last = free_port_range(20)
    configs = tmp_path / "conf"
    configs.mkdir()
    call_command(
        "talk_calls_hpb_config",
        "janus",
        "--ws-port",
        str(ws_port),
        "--rtp-port-range",
        f"{first}-{last}",
        "--plugins-folder",
        str(plugins),
        "--transports-folder",
        str(transports),
        "--output-dir",
        str(configs),
    )
    process = start_janus_from(tmp_path, configs, ws_port)
    process.stop()
    assert "Loading plugin 'libjanus_videoroom.so'" in process.log


def test_the_command_writes_a_coturn_configuration_coturn_starts_with(tmp_path):
    port = free_udp_port()
    first, last = free_port_range(10)
    conf = tmp_path / "turnserver.conf"
    call_command(
        "talk_calls_hpb_config",
        "coturn",
        "--secret",
        "s3cret",
        "--listening-port",
        str(port),
        "--min-port",
        str(first),
        "--max-port",
        str(last),
        "-o",
        str(conf),
    )
    assert "static-auth-secret=s3cret" in conf.read_text()
    process = start_coturn_from(tmp_path, conf, port)
    process.stop()


@pytest.mark.parametrize("nats", [""])
def test_an_empty_nats_url_is_refused(secret, nats):
    with pytest.raises(CommandError, match="nats://localhost:4222"):
        call_command("talk_calls_hpb_config", "signaling", "--backend-url", "http://x/", "--nats-url", nats)


def test_without_a_secret_no_server_conf_is_written(settings):
    settings.TALK_CALLS = {}
    with pytest.raises(CommandError, match="SIGNALING_SECRET"):
        call_command("talk_calls_hpb_config", "signaling", "--backend-url", "http://x/")
