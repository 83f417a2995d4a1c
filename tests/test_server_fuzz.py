"""Schemathesis fuzzes every documented API operation (but ask, which runs the answerer; tested in
test_server.py and test_browser.py) from the OpenAPI spec, over the sample library: no 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from server_helpers import make_app


@pytest.fixture(scope="module")
def api_schema(library, tmp_path_factory, shared_cache):
    app = make_app(library[1], tmp_path_factory.mktemp("fuzz"), shared_cache / "models")
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers={"Host": "localhost"}).exclude(path="/api/ask")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx(case):
    case.call_and_validate(headers={"Host": "localhost"}, checks=[not_a_server_error])
