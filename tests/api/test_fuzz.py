"""Property-based fuzzing of the published OpenAPI document with schemathesis, with
valid and with invalid input: no 5xx, and every answer conforms to the document
(status, content type, schema).

Bounded: a fixed number of examples per operation, well under a minute in all.
The fuzzing key is an analyst's, so ``POST /lists/update`` (admin) answers 403
and nothing random is ever imported; ``as_of`` is left out of generated bodies
because each new day builds a whole index (seconds), which is not what fuzzing
is for.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from api.helpers import Live

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _operations(live: Live, key: str) -> list[Any]:
    with live.client(key) as client:
        spec = client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_fuzz_openapi(live: Live, keys: dict[str, str], mode: Any) -> None:
    key = keys["analyst"]
    headers = {"Authorization": f"Bearer {key}"}
    started = time.monotonic()
    operations = _operations(live, key)
    assert len(operations) >= 12
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            if isinstance(case.body, dict):
                case.body.pop("as_of", None)
            response = case.call(base_url=live.url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:  # nothing to get wrong: e.g. no parameters at all
            assert mode == GenerationMode.NEGATIVE
    assert time.monotonic() - started < 45
