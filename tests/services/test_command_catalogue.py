"""Each command is defined once (``copact.services.operations``) and every edge is made from,
or checked against, that definition: the JSON API's route and request body, the page's form
route, and the command line's options. A field added to a command and forgotten at an edge
fails here."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from fastapi import FastAPI

from copact.cli.app import app as cli_app
from copact.cli.operating import WRITTEN, cli_name
from copact.core.events import Event
from copact.services import operations as ops
from copact.web import api, pages

#: the command line spells a few fields its own way (``--from`` for the payer, one
#: ``--reason`` per reason); these are the Python names of those parameters
CLI_NAMES = {
    "reasons": "reason",
    "quantities": "quantity",  # volume commitment: --quantity 7000 --quantity 7500
    "risk": "risk_id",
    "by": "by",
    "trigger": "trigger",
}


def _fields(command: type[ops.Command]) -> set[str]:
    return set(command.model_fields) - {"deal", "key"}


@pytest.mark.parametrize("command", ops.COMMANDS, ids=lambda c: c.__name__)
def test_a_command_declares_what_every_edge_needs(command: type[ops.Command]) -> None:
    assert command.action and command.__doc__
    assert command.causes and all(issubclass(e, Event.__args__) for e in command.causes)
    path = set(command.path())
    assert path <= _fields(command), f"{command.api} names a field {command.__name__} lacks"
    body = set(command.body().model_fields)
    actor = {command.actor} if command.actor else set()
    assert body | path | actor == _fields(command)
    assert not body & (path | actor)


def _openapi() -> dict[str, Any]:
    app = FastAPI()
    app.include_router(api.router)
    return app.openapi()


@pytest.mark.parametrize("command", [c for c in ops.COMMANDS if c.api], ids=lambda c: c.__name__)
def test_the_api_takes_exactly_the_commands_body(command: type[ops.Command]) -> None:
    spec = _openapi()
    route = spec["paths"][f"/api/v1/deals/{{deal}}/{command.api.replace(':path', '')}"]["post"]
    names = {p["name"] for p in route.get("parameters", []) if p["in"] == "path"}
    assert names == {"deal", *command.path()}
    body = command.body()
    expected = {(info.alias or name) for name, info in body.model_fields.items()}
    if not expected:
        assert "requestBody" not in route
        return
    ref = route["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == expected
    assert schema.get("additionalProperties") is False  # an unknown field is refused


@pytest.mark.parametrize("command", [c for c in ops.COMMANDS if c.api], ids=lambda c: c.__name__)
def test_the_page_posts_its_form_to_the_same_route(command: type[ops.Command]) -> None:
    posted = {r.path for r in pages.router.routes if "POST" in getattr(r, "methods", set())}
    assert f"/deals/{{deal}}/{command.api}" in posted


def _cli(path: str) -> Any:
    group: Any = typer.main.get_command(cli_app)
    for part in path.split():
        found = group.get_command(group.context_class(group), part)
        assert found is not None, f"no `copact {path}`"
        group = found
    return group


@pytest.mark.parametrize("command", ops.COMMANDS, ids=lambda c: c.__name__)
def test_the_command_line_has_an_option_for_every_field(command: type[ops.Command]) -> None:
    made = _cli(WRITTEN.get(command, cli_name(command)))
    names = {p.name for p in made.params}
    aliases = {"payer": "payer", "payee": "payee"}
    missing = {f for f in _fields(command) if CLI_NAMES.get(f, aliases.get(f, f)) not in names}
    assert not missing, f"`copact {made.name}` has no option for {missing}"
    assert "key" in names or command is ops.TriggerExit
