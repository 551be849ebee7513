"""Property-based API tests: schemathesis generates requests from /api/v1/openapi.json and fails on any
500, any response that does not match its documented schema, an undocumented status code or content type.

Bounded (a few examples per operation) so that the run stays short. The app runs against the real
settings store and SQLite, with the hand-written cycle/scheduler fakes (mutating calls are harmless).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import SECRETS, World, make_world

HEADERS = {"X-Api-Key": SECRETS["API_KEY"]}


def _fuzz_world() -> World:
    """Built at collection (schemathesis needs the document to generate the test cases); its folder
    is removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="cacherr-schemathesis-"))
    atexit.register(shutil.rmtree, root, True)
    w = make_world(root, saved={"API_KEY": SECRETS["API_KEY"], "WEBHOOK_SECRET": SECRETS["WEBHOOK_SECRET"]})
    atexit.register(w.db.close)
    w.add_entry("Fuzzed Movie")
    return w


WORLD = _fuzz_world()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WORLD.app, headers=HEADERS)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=HEADERS, checks=[not_a_server_error, status_code_conformance,
                                                    content_type_conformance, response_schema_conformance])
    WORLD.app.extensions["cacherr"].jobs.join(5)  # let a started cycle or restore finish
