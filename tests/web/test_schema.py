"""The JSON API against its own OpenAPI document (schemathesis), as a user of each party: no
5xx for any generated input, and every documented answer matches its schema. Bounded: a few
examples an operation, so it runs in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.web.conftest import DEAL, World, make_world

_WORLD: dict[str, World] = {}


def _world() -> World:
    if "w" not in _WORLD:
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="copact-schema-")) / "ws"
        _WORLD["w"] = make_world(root, all_roles=False)
    return _WORLD["w"]


schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _world().app())


@pytest.fixture(scope="module", autouse=True)
def _dispose() -> Iterator[None]:
    yield
    _world().workspace.engine.dispose()


@pytest.mark.parametrize("username", ["acme-owner", "voltworks-account"])
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_its_contract(case: schemathesis.Case, username: str) -> None:
    user = _world().users[username]
    # aim the generated requests at the real deal, so the handlers (not only the 404) run
    if case.path_parameters and "deal" in case.path_parameters:
        case.path_parameters["deal"] = DEAL
    if case.path_parameters and "milestone" in case.path_parameters:
        case.path_parameters["milestone"] = "hardware-delivery"
    case.call_and_validate(
        headers={"Authorization": f"Bearer {user.token}"},
        checks=[checks.not_a_server_error, checks.response_schema_conformance],
    )
