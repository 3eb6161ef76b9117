"""`copact user`: the workspace's administrator adds people, resets a lost password and gives
scripts a token, all from the command line; what it prints is what the web app then accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from copact.services.accounts import Accounts, AccountSettings
from copact.services.workspace import Workspace

runner = CliRunner()


def _accounts(root: Path) -> Accounts:
    ws = Workspace.open(root, clock=lambda: datetime.now(UTC))
    return Accounts(ws.engine, AccountSettings(), ws.clock)


def _password(output: str) -> str:
    return output.strip().rsplit(" ", 1)[-1]


def test_add_reset_and_token(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    added = runner.invoke(
        app, ["user", "add", "raj", "--party", "acme", "--role", "finance", "-w", str(root)]
    )
    assert added.exit_code == 0, added.output
    first = _password(added.stdout)

    signed = _accounts(root).sign_in("raj", first, ip="127.0.0.1")
    assert signed is not None
    assert signed.principal.must_change_password  # issued, so one-time

    reset = runner.invoke(app, ["user", "password", "raj", "-w", str(root)])
    assert reset.exit_code == 0, reset.output
    second = _password(reset.stdout)
    assert second != first
    accounts = _accounts(root)
    assert accounts.session(signed.session_id) is None  # the open session ended
    assert accounts.sign_in("raj", first, ip="127.0.0.1") is None
    again = accounts.sign_in("raj", second, ip="127.0.0.1")
    assert again is not None and again.principal.must_change_password

    token = runner.invoke(app, ["user", "token", "raj", "--label", "export", "-w", str(root)])
    assert token.exit_code == 0
    principal = _accounts(root).token(token.stdout.strip())
    assert principal is not None and principal.party == "acme"


def test_a_reset_revokes_the_scripts_tokens_and_disable_takes_every_way_in_away(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    runner.invoke(app, ["init", str(root)])
    runner.invoke(
        app, ["user", "add", "raj", "--party", "acme", "--role", "finance", "-w", str(root)]
    )
    first = runner.invoke(app, ["user", "token", "raj", "-w", str(root)]).stdout.strip()

    kept = runner.invoke(app, ["user", "password", "raj", "--keep-tokens", "-w", str(root)])
    assert kept.exit_code == 0 and "revoked" not in kept.output
    assert _accounts(root).token(first) is not None
    reset = runner.invoke(app, ["user", "password", "raj", "-w", str(root)])
    assert reset.exit_code == 0 and "raj: 1 API token revoked" in reset.stderr
    assert _accounts(root).token(first) is None

    second = runner.invoke(app, ["user", "token", "raj", "-w", str(root)]).stdout.strip()
    third = runner.invoke(app, ["user", "token", "raj", "-w", str(root)]).stdout.strip()
    revoked = runner.invoke(app, ["user", "revoke-tokens", "raj", "-w", str(root)])
    assert revoked.exit_code == 0 and revoked.stdout.strip() == "raj: 2 API tokens revoked"
    assert _accounts(root).token(second) is None and _accounts(root).token(third) is None

    password = _password(runner.invoke(app, ["user", "password", "raj", "-w", str(root)]).stdout)
    disabled = runner.invoke(app, ["user", "disable", "raj", "-w", str(root)])
    assert disabled.exit_code == 0 and "raj: disabled" in disabled.stdout
    assert _accounts(root).sign_in("raj", password, ip="127.0.0.1") is None
    for nobody in (["revoke-tokens", "nobody"], ["disable", "nobody"]):
        refused = runner.invoke(app, ["user", *nobody, "-w", str(root)])
        assert refused.exit_code == 2 and "no user 'nobody'" in refused.output


def test_unknown_people_and_roles_are_refused_without_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    runner.invoke(app, ["init", str(root)])
    nobody = runner.invoke(app, ["user", "password", "nobody", "-w", str(root)])
    assert nobody.exit_code == 2 and "no user 'nobody'" in nobody.output
    bad = runner.invoke(
        app, ["user", "add", "x", "--party", "acme", "--role", "king", "-w", str(root)]
    )
    assert bad.exit_code == 2 and "unknown role 'king'" in bad.output
    assert "Traceback" not in nobody.output + bad.output
