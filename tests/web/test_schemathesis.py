"""Property-based API tests: schemathesis generates requests from /api/v1/openapi.json and fails on any
500, any response that does not match its documented schema, or an undocumented status code.

Bounded (a few examples per operation) so that the run stays short. The app runs against the real
settings store and SQLite, with the hand-written cycle/scheduler fakes (mutating calls are harmless).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import SECRETS, make_world

checks = pytest.importorskip("schemathesis.checks")
not_a_server_error = checks.not_a_server_error

_ROOT = Path(__import__("tempfile").mkdtemp(prefix="cacherr-schemathesis-"))
_WORLD = make_world(_ROOT, saved={"API_KEY": SECRETS["API_KEY"], "WEBHOOK_SECRET": SECRETS["WEBHOOK_SECRET"]})
_WORLD.add_entry("Fuzzed Movie")
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _WORLD.app,
                                        headers={"X-Api-Key": SECRETS["API_KEY"]})


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-Api-Key": SECRETS["API_KEY"]},
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
    _WORLD.app.extensions["cacherr"].jobs.join(5)  # let a started cycle or restore finish
