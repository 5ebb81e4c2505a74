"""The smallest host project the README describes, run in a fresh process by the tests."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SETTINGS_MODULES = ["tests.minimal_host.settings", "tests.minimal_host.settings_custom_user"]


def run_smoke(script: str, settings_module: str) -> dict:
    """Run ``tests.minimal_host.<script>`` with ``settings_module``; return the answers it printed."""
    result = subprocess.run(
        [sys.executable, "-m", f"tests.minimal_host.{script}", settings_module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
