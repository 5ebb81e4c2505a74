"""The README, verbatim: its curl lines are the landing page's and run as pasted against a live
demo server; its install, license and ``make demo`` statements match the project's files."""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command

from project.demo_info import curl_examples
from tests.helpers import needs_tool

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
#: Where the README says ``make demo`` serves (the Makefile's default ``DEMO_ADDR``).
DEMO_BASE = "http://127.0.0.1:8000"


def shell_lines() -> list[str]:
    """Return the command lines of the README's ``sh`` blocks (comments and blank lines left out)."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_readme_curl_lines_are_the_landing_pages():
    readme_curls = [line for line in shell_lines() if line.startswith("curl ")]
    assert readme_curls == [command for _, command in curl_examples(DEMO_BASE)]
    assert all(" -s " in line for line in readme_curls)


@pytest.mark.live
def test_readme_curl_lines_work_pasted_against_a_live_demo(live_server, transactional_db, tmp_path):
    needs_tool("curl")
    call_command("demo", base_url=live_server.url)
    for line in (line for line in shell_lines() if line.startswith("curl ")):
        pasted = line.replace(DEMO_BASE, live_server.url)
        result = subprocess.run(pasted, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        answers = result.stdout.count('"statuscode":')
        assert result.returncode == 0 and answers == line.count("curl "), (line, result.stdout, result.stderr)
        assert result.stdout.count('"statuscode":200') == answers, (line, result.stdout)
    assert {path.name for path in tmp_path.iterdir()} == {"alice.txt", "bob.txt", "guest.txt"}


def test_make_demo_serves_prints_and_links_demo_addr():
    needs_tool("make")
    result = subprocess.run(
        ["make", "-n", "demo", "DEMO_ADDR=127.0.0.1:8123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "manage.py demo --base-url http://127.0.0.1:8123" in result.stdout
    # Served under ASGI: internal signaling's long polls are async views.
    assert "uvicorn project.asgi:application --host 127.0.0.1 --port 8123" in result.stdout
    assert "'.[demo]'" in result.stdout or ".installed-demo" not in result.stdout
    default = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    host, port = DEMO_BASE.removeprefix("http://").split(":")
    assert f"--host {host} --port {port}" in default.stdout


def test_demo_command_prints_the_address_it_is_given(db, capsys):
    call_command("demo", base_url="http://127.0.0.1:8123")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123/" in out and "8000" not in out
    assert "curl -s " in out and "-c alice.txt -b alice.txt" in out
    assert "alice & bob" in out


def test_demo_needs_only_the_demo_extra_and_the_app_not_django_environ():
    project = pyproject()["project"]
    assert not any(dep.startswith("django-environ") for dep in project["dependencies"])
    assert any(dep.startswith("django-environ") for dep in project["optional-dependencies"]["demo"])
    makefile = (ROOT / "Makefile").read_text()
    demo_recipe = re.search(r"^\$\(VENV\)/\.installed-demo:.*?\n\n", makefile, flags=re.S | re.M).group(0)
    assert "'.[demo]'" in demo_recipe and "test" not in demo_recipe
    app_sources = "\n".join(path.read_text() for path in (ROOT / "talk_calls").rglob("*.py"))
    assert not re.search(r"^\s*(import environ|from environ)", app_sources, flags=re.M)


def test_install_lines_and_license_match_the_metadata():
    project = pyproject()["project"]
    wheel = f"talk_calls-{project['version']}-py3-none-any.whl"
    assert f"dist/{wheel}" in README
    assert "pip install talk-calls" not in README
    assert project["license"] == "AGPL-3.0-or-later" and project["license-files"] == ["LICENSE"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.lstrip().startswith("GNU AFFERO GENERAL PUBLIC LICENSE\n                       Version 3")
    assert "END OF TERMS AND CONDITIONS" in license_text


def test_readme_links_the_parameter_reference():
    assert "(docs/api-parameters.md)" in README
    assert (ROOT / "docs" / "api-parameters.md").exists()
