"""Write the configuration of the High-Performance Backend's parts (``talk_calls.hpb.config``).

    manage.py talk_calls_hpb_config signaling --listen 127.0.0.1:8080 --backend-url https://cloud.example/ [-o server.conf]
    manage.py talk_calls_hpb_config janus --ws-port 8188 [--output-dir /etc/janus]
    manage.py talk_calls_hpb_config coturn --secret S [-o turnserver.conf]

Without ``-o`` / ``--output-dir`` the text goes to standard output.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...hpb.config import (
    LOOPBACK_NATS,
    CoturnConfig,
    JanusConfig,
    SignalingServerConfig,
    render_coturn,
    render_janus,
    render_server_conf,
)


class Command(BaseCommand):
    help = "Write server.conf for nextcloud-spreed-signaling from TALK_CALLS, and Janus / coturn configuration."

    def add_arguments(self, parser):
        parts = parser.add_subparsers(dest="part", required=True)
        signaling = parts.add_parser("signaling", help="server.conf of the signaling server")
        signaling.add_argument("--listen", default="127.0.0.1:8080", help="host:port of its HTTP listener")
        signaling.add_argument("--backend-url", required=True, help="the app's base URL as the server reaches it")
        signaling.add_argument("--nats-url", default=LOOPBACK_NATS, help="NATS URL, or :loopback: (one server)")
        signaling.add_argument("--janus-url", default="", help="ws:// URL of Janus (the MCU); empty: no MCU")
        signaling.add_argument("--turn-secret", default="", help="coturn's static-auth-secret, for Janus")
        signaling.add_argument("--turn-server", action="append", default=[], help="turn:host:port?transport=udp")
        signaling.add_argument("--session-limit", type=int, default=0)
        signaling.add_argument("--debug", action="store_true")
        signaling.add_argument("-o", "--output")
        janus = parts.add_parser("janus", help="janus.jcfg and the websockets transport and videoroom plugin files")
        janus.add_argument("--ws-ip", default="127.0.0.1")
        janus.add_argument("--ws-port", type=int, default=8188)
        janus.add_argument("--rtp-port-range", default="20000-20199")
        janus.add_argument("--plugins-folder", default=JanusConfig.plugins_folder)
        janus.add_argument("--transports-folder", default=JanusConfig.transports_folder)
        janus.add_argument("--ice-enforce-list", default="", help="interfaces for ICE candidates; empty: all")
        janus.add_argument("--stun-server", default="", help="host:port")
        janus.add_argument("--output-dir")
        coturn = parts.add_parser("coturn", help="turnserver.conf with the TURN REST secret")
        coturn.add_argument("--secret", required=True)
        coturn.add_argument("--listening-ip", default="127.0.0.1")
        coturn.add_argument("--listening-port", type=int, default=3478)
        coturn.add_argument("--relay-ip", default="127.0.0.1")
        coturn.add_argument("--min-port", type=int, default=49160)
        coturn.add_argument("--max-port", type=int, default=49200)
        coturn.add_argument("--allow-loopback-peers", action="store_true")
        coturn.add_argument("-o", "--output")

    def handle(self, *args, **options):
        part = options["part"]
        try:
            if part == "signaling":
                config = SignalingServerConfig(
                    listen=options["listen"],
                    backend_url=options["backend_url"],
                    nats_url=options["nats_url"],
                    janus_url=options["janus_url"],
                    turn_secret=options["turn_secret"],
                    turn_servers=tuple(options["turn_server"]),
                    session_limit=options["session_limit"],
                    debug=options["debug"],
                )
                self._write(options["output"], render_server_conf(config))
            elif part == "janus":
                folder = options["output_dir"]
                config = JanusConfig(
                    ws_ip=options["ws_ip"],
                    ws_port=options["ws_port"],
                    rtp_port_range=options["rtp_port_range"],
                    plugins_folder=options["plugins_folder"],
                    transports_folder=options["transports_folder"],
                    ice_enforce_list=options["ice_enforce_list"],
                    stun_server=options["stun_server"],
                )
                files = render_janus(config, str(Path(folder).resolve()) if folder else "/etc/janus")
                for name, text in files.items():
                    if folder:
                        self._write(str(Path(folder) / name), text)
                    else:
                        self.stdout.write(f"# --- {name}\n{text}")
            else:
                config = CoturnConfig(
                    secret=options["secret"],
                    listening_ip=options["listening_ip"],
                    listening_port=options["listening_port"],
                    relay_ip=options["relay_ip"],
                    min_port=options["min_port"],
                    max_port=options["max_port"],
                    loopback_peers=options["allow_loopback_peers"],
                )
                self._write(options["output"], render_coturn(config))
        except ValueError as exc:
            raise CommandError(str(exc))

    def _write(self, path: str | None, text: str) -> None:
        if path:
            Path(path).write_text(text)
            self.stderr.write(f"wrote {path}")
        else:
            self.stdout.write(text, ending="")
