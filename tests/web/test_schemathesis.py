"""Property-based API tests: schemathesis generates requests from /api/v1/openapi.json and fails on any
500, any response that does not match its documented schema, an undocumented status code or content type.

Bounded (a few examples per operation) so that the run stays short. The app runs against the real
settings store and SQLite, with the hand-written cycle/scheduler fakes (mutating calls are harmless).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
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


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(Path(tmp_path_factory.mktemp("fuzz")),
                   saved={"API_KEY": SECRETS["API_KEY"], "WEBHOOK_SECRET": SECRETS["WEBHOOK_SECRET"]})
    w.add_entry("Fuzzed Movie")
    yield w
    w.db.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_world: World) -> object:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_world.app, headers=HEADERS)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case, fuzz_world: World) -> None:
    case.call_and_validate(headers=HEADERS, checks=[not_a_server_error, status_code_conformance,
                                                    content_type_conformance, response_schema_conformance])
    fuzz_world.app.extensions["cacherr"].jobs.join(5)  # let a started cycle or restore finish
