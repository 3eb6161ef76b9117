"""Every command's fields are described where a user reads them: `copact <command> --help`
and the JSON API's OpenAPI document, both made from the one definition in
``copact.services.operations`` (an option whose help is only its own name teaches nothing)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from copact.cli.app import app
from copact.cli.operating import WRITTEN, cli_name
from copact.services import operations as ops
from tests.web.conftest import World, client_for, make_world

runner = CliRunner()
ALL = [*ops.COMMANDS, *ops.BUILT]


def _name(command: type[ops.Command]) -> str:
    return command.__name__


@pytest.mark.parametrize("command", ALL, ids=_name)
def test_every_field_of_a_command_is_described(command: type[ops.Command]) -> None:
    bare = [
        name
        for name, info in command.model_fields.items()
        if name not in ("deal", "key") and not (info.description or "").strip()
    ]
    assert bare == [], f"{command.__name__}: no description for {', '.join(bare)}"


def _words(text: str) -> str:
    """``--for`` and ``for_`` → ``for``: a name as a help that is only the name spells it."""
    return " ".join(text.strip("-_ .").replace("_", " ").replace("-", " ").lower().split())


def _command_line(command: type[ops.Command]) -> list[str]:
    """The words that call it: ``change propose`` for ``ProposeChange``."""
    return WRITTEN.get(command, cli_name(command)).split()


def _options(words: list[str]) -> list[Any]:
    """The options the command line declares for ``copact WORDS`` (typer's own click)."""
    found: Any = typer.main.get_command(app)
    for word in words:
        found = found.commands[word]
    return [p for p in found.params if p.param_type_name == "option"]


def _shown(output: str) -> dict[str, str]:
    """The options table of a ``--help``: each option's long flag and the help shown beside it
    (its first line, the table's borders and markers taken out)."""
    shown: dict[str, str] = {}
    row = re.compile(r"^\*?\s*(--[\w-]+)(?:\s+-\w)?(?:\s+<[^>]*>)?(?:\s+(.*))?$")
    for line in output.splitlines():
        cells = line.strip().strip("│").strip()
        found = row.match(cells)
        if found and found[1] not in shown:
            shown[found[1]] = (found[2] or "").strip()
    return shown


@pytest.mark.parametrize("command", ops.COMMANDS, ids=_name)
def test_the_command_line_help_describes_every_option(command: type[ops.Command]) -> None:
    words = _command_line(command)
    result = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    shown = _shown(result.output)
    options = _options(words)
    assert options, f"copact {' '.join(words)} has no options"
    for option in options:
        flag = max(option.opts, key=len)  # --format, not -f
        assert flag in shown, f"copact {' '.join(words)} --help does not show {flag}"
        helped = shown[flag]
        names = {_words(flag), _words(option.name or "")}
        assert helped and _words(helped) not in names, (
            f"copact {' '.join(words)} --help: {flag} says only {helped!r}"
        )


@pytest.mark.parametrize("command", [c for c in ops.COMMANDS if c.path()], ids=_name)
def test_the_command_line_help_describes_every_argument(command: type[ops.Command]) -> None:
    """A command's path fields (``copact accept DEAL MILESTONE``) are arguments: their help is
    the field's description, as an option's is."""
    found: Any = typer.main.get_command(app)
    for word in _command_line(command):
        found = found.commands[word]
    helps = {p.name: p.help for p in found.params if p.param_type_name == "argument"}
    for name in command.path():
        assert helps.get(name) == command.model_fields[name].description, name


def _leaves(group: Any, words: list[str]) -> Iterator[tuple[list[str], Any]]:
    for name, sub in group.commands.items():
        if hasattr(sub, "commands"):
            yield from _leaves(sub, [*words, name])
        else:
            yield [*words, name], sub


def test_every_command_line_help_ends_with_an_example() -> None:
    """DESIGN §11: every command's --help teaches by an example, all of them, not only the
    commands made from the catalogue."""
    root: Any = typer.main.get_command(app)
    missing = [" ".join(w) for w, c in _leaves(root, []) if "Example" not in (c.help or "")]
    assert missing == [], f"no example in the --help of: {', '.join(missing)}"


def test_the_record_cost_help_says_whose_person() -> None:
    result = runner.invoke(app, ["record-cost", "--help"], env={"COLUMNS": "300"})
    assert _shown(result.output)["--by"].startswith("The supplier's person")


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    world: World = make_world(tmp_path_factory.mktemp("help") / "ws", all_roles=False)
    try:
        yield client_for(world).get("/api/v1/openapi.json").json()
    finally:
        world.workspace.engine.dispose()


ROUTED = [c for c in ops.COMMANDS if c.api is not None]


@pytest.mark.parametrize("command", ROUTED, ids=_name)
def test_the_api_describes_every_property_of_a_request_body(
    command: type[ops.Command], openapi: dict[str, Any]
) -> None:
    """The API's request bodies are :meth:`Command.body`, so the descriptions land there."""
    route = "/api/v1/deals/{deal}/" + re.sub(r"{(\w+):\w+}", r"{\1}", command.api or "")
    operation = openapi["paths"][route]["post"]
    fields = command.body().model_fields
    if not fields:
        assert "requestBody" not in operation, route
        return
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    properties: dict[str, Any] = body["properties"]
    aliases = {info.alias or name for name, info in fields.items()}
    assert set(properties) == aliases, route
    bare = [name for name, prop in properties.items() if not prop.get("description")]
    assert bare == [], f"POST {route}: no description for {', '.join(bare)}"
