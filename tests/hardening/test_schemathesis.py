"""Property-based fuzzing with schemathesis (issue 11): every operation of an OpenAPI
description, bounded examples, against gunicorn on PostgreSQL; no 5xx and no answer that
violates the description.

Two descriptions: the reference's call API (``tests/api/talk-call-openapi.json``) and the
app's own, as the server serves it (``/api/openapi.json``). More files can be named in
``TALK_FUZZ_SCHEMAS`` (separated by ``os.pathsep``). ``TALK_FUZZ_EXAMPLES`` sets the
examples per operation (default 25 for the reference, 5 for the larger served one).
"""

import json
import os
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, strategies
from schemathesis.checks import not_a_server_error, response_schema_conformance

from talk_calls.constants import InCallFlag

from ..factories import PASSWORD, AttendeeFactory, PhoneAttendeeFactory, RoomFactory
from .servers import ROOT, GunicornServer

pytestmark = [pytest.mark.postgres, pytest.mark.live, pytest.mark.django_db(transaction=True)]

SERVED = "served"
SCHEMA_FILES = [ROOT / "tests" / "api" / "talk-call-openapi.json", SERVED] + [
    Path(p) for p in os.environ.get("TALK_FUZZ_SCHEMAS", "").split(os.pathsep) if p
]
EXAMPLES = os.environ.get("TALK_FUZZ_EXAMPLES")


@pytest.mark.parametrize("schema_file", SCHEMA_FILES, ids=lambda p: p if p == SERVED else p.name)
def test_fuzzed_requests_get_no_5xx_and_conforming_answers(schema_file, tmp_path):
    examples = int(EXAMPLES or (5 if schema_file == SERVED else 25))
    room = RoomFactory(public=True)
    owner = AttendeeFactory(room=room, owner=True)
    PhoneAttendeeFactory(room=room)
    env = {"TALK_SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend", "TALK_LOG_LEVEL": "ERROR"}
    seen = {"requests": 0, "statuses": {}}
    with GunicornServer(workers=2, threads=2, env=env) as server:
        session = requests.Session()
        session.auth = (owner.user.get_username(), PASSWORD)
        session.headers["OCS-APIRequest"] = "true"
        base = f"{server.url}/ocs/v2.php/apps/spreed/api/v4"
        assert session.post(f"{base}/room/{room.token}/participants/active").status_code == 200
        assert session.post(f"{base}/call/{room.token}", json={"flags": int(InCallFlag.IN_CALL)}).status_code == 200
        if schema_file == SERVED:
            schema_file = tmp_path / "served-openapi.json"
            schema_file.write_bytes(requests.get(f"{server.url}/api/openapi.json", timeout=30).content)
        schema = schemathesis.openapi.from_path(schema_file)

        # A pull of internal signaling with the owner's session waits up to 30 s for messages:
        # it is fuzzed by a client without a session (answered at once); real pulls are
        # validated against the description in tests/api/test_openapi_signaling.py.
        sessionless = requests.Session()
        sessionless.headers["OCS-APIRequest"] = "true"

        for result in schema.get_all_operations():
            operation = result.ok()

            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            @hypothesis.given(case=operation.as_strategy(), real_token=strategies.booleans())
            def fuzz(case, real_token):
                if "apiVersion" in (case.path_parameters or {}):
                    case.path_parameters["apiVersion"] = "v4"
                if real_token and "token" in (case.path_parameters or {}):
                    case.path_parameters["token"] = room.token
                # Sent with our own session (schemathesis' resend path trips over urllib3 2.8).
                kwargs = case.as_transport_kwargs(base_url=server.url)
                kwargs.pop("session", None)
                is_pull = case.method.upper() == "GET" and case.path.endswith("/signaling/{token}")
                response = (sessionless if is_pull else session).request(**kwargs, timeout=30)
                seen["requests"] += 1
                seen["statuses"][response.status_code] = seen["statuses"].get(response.status_code, 0) + 1
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

            fuzz()
    print(f"\nschemathesis {schema_file.name}: {seen}")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / f"schemathesis-{schema_file.stem}.json").write_text(
        json.dumps({"examples_per_operation": examples, **seen}, indent=2) + "\n"
    )
    assert seen["requests"] >= examples
    assert not any(status >= 500 for status in seen["statuses"])
