"""The app works in the smallest host project the README describes (fresh process)."""

import json
import subprocess
import sys
from pathlib import Path

from talk_calls.constants import SESSION_ID_LENGTH

ROOT = Path(__file__).resolve().parent.parent


def test_minimal_host_migrates_checks_and_serves_a_join():
    result = subprocess.run(
        [sys.executable, "-m", "tests.minimal_host.smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert answer["body"]["ocs"]["meta"]["statuscode"] == 200
    assert len(answer["body"]["ocs"]["data"]["sessionId"]) == SESSION_ID_LENGTH
