"""copact serve: the web app and JSON API on a workspace (DESIGN §12); copact user: the people
who sign in to it, and their API tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from copact.cli.console import err, fail, out
from copact.cli.workspace import WorkspaceOption
from copact.errors import CopactError
from copact.services.uow import system_clock
from copact.services.workspace import default_workspace

if TYPE_CHECKING:
    from copact.services.accounts import Accounts

__all__ = ["register"]

user_app = typer.Typer(
    help="People who sign in to the web app: add, password (a new one-time one), token.",
    no_args_is_help=True,
)

_EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def serve(
    workspace: WorkspaceOption = None,
    database: Annotated[
        str | None,
        typer.Option(
            help="A database URL, e.g. postgresql+psycopg://user@host/db "
            "(default: the workspace's)."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            help="Load the example deals and demo users of both parties "
            "(prints their one-time passwords)."
        ),
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=16)] = 1,
    examples: Annotated[
        Path | None, typer.Option(help="Where the example deals are (for --demo).", hidden=True)
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="A reverse proxy (address or network, e.g. 10.0.0.2 or 10.0.0.0/8) whose "
            "X-Forwarded-For and X-Forwarded-Proto are believed; repeat for several. "
            "Default: none, the connecting address is the client."
        ),
    ] = None,
    trusted_host: Annotated[
        list[str] | None,
        typer.Option(
            help="A Host name the app answers to (others get 400); repeat for several. "
            "Default: 127.0.0.1 and localhost when listening on loopback, else any."
        ),
    ] = None,
) -> None:
    """Run the web app and the JSON API (OpenAPI at /api/v1/openapi.json). Migrations run on
    start, on SQLite or PostgreSQL alike.

    Example: `copact serve --demo` then open http://127.0.0.1:8000

    Behind a reverse proxy: `copact serve --host 10.0.0.5 --trusted-proxy 10.0.0.2
    --trusted-host copact.example.com`
    """
    from copact.web import server  # the web's entry point: the one import of the web here

    root = workspace or (Path("demo-workspace") if demo else default_workspace())
    source = examples or (_EXAMPLES if _EXAMPLES.is_dir() else Path("examples"))
    try:
        ready = server.prepare(
            root,
            database,
            trusted_proxies=tuple(trusted_proxy or ()),
            trusted_hosts=tuple(trusted_host or _loopback_names(host)),
            demo=source if demo else None,
        )
    except CopactError as exc:
        fail(str(exc))
    if demo:
        console = out()
        deals = len(ready.workspace.deals())
        console.print(f"Demo workspace in {root}: {deals} deals. One-time passwords:")
        for user, password in ready.issued:
            console.print(
                f"  {user.username:<11} {password}  {user.role} of {user.party} ({user.deal})",
                markup=False,
            )
    url = f"http://{host}:{port}"
    out().print(f"copact serving {root} on {url}  (Ctrl-C stops)", markup=False)
    server.run(ready, host=host, port=port, workers=workers)


def _loopback_names(host: str) -> tuple[str, ...]:
    """The Host names of a server listening on loopback only (no DNS rebinding to it)."""
    return ("127.0.0.1", "localhost") if host in ("127.0.0.1", "localhost") else ()


def _accounts(workspace: Path | None) -> Accounts:
    """The accounts of the workspace (created when missing, and migrated, as for serving).
    Imported here: argon2 makes a hash as it loads, which no other command should wait for."""
    from copact.services.account_settings import AccountSettings
    from copact.services.accounts import Accounts
    from copact.services.serving import open_for_serving

    root = workspace or default_workspace()
    try:
        ws = open_for_serving(root, None, clock=system_clock, pool_size=1)
    except CopactError as exc:
        fail(str(exc))
    return Accounts(ws.engine, AccountSettings(), ws.clock)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="The name they sign in with.")],
    party: Annotated[str, typer.Option(help="Their party id (e.g. acme).")],
    role: Annotated[
        str,
        typer.Option(
            help="owner, acceptor, finance, operations, account, billing, engineer or auditor."
        ),
    ],
    person: Annotated[
        str | None, typer.Option(help="Their person id in the deals, used as `by`.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Their full name.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a user and print a one-time password (they pick their own at the first sign-in).

    Example: `copact user add ana --party acme --role owner --person ana`
    """
    from copact.services.passwords import new_password

    password = new_password()
    accounts = _accounts(workspace)
    try:
        accounts.create_user(
            username=username,
            name=name or username,
            party=party,
            role=role,
            password=password,
            person=person,
        )
    except CopactError as exc:
        fail(str(exc))
    out().print(f"{username}: one-time password {password}", markup=False)


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(help="The user who lost or must reset theirs.")],
    keep_tokens: Annotated[
        bool,
        typer.Option(
            "--keep-tokens",
            help="Leave their API tokens working (by default a reset revokes them, in case "
            "the account was taken over).",
        ),
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Issue a new one-time password (they pick their own at the next sign-in); their open
    sessions end at once, and their API tokens are revoked unless `--keep-tokens`.

    Example: `copact user password raj`
    """
    from copact.services.passwords import new_password

    password = new_password()
    accounts = _accounts(workspace)
    try:
        revoked = accounts.set_password(username, password, revoke_tokens=not keep_tokens)
    except CopactError as exc:
        fail(str(exc))
    if revoked:
        err().print(f"{username}: {_tokens(revoked)} revoked", markup=False)
    out().print(f"{username}: one-time password {password}", markup=False)


@user_app.command("revoke-tokens")
def user_revoke_tokens(
    username: Annotated[str, typer.Argument(help="The user whose scripts lose access.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke every API token of a user (a leaked token, a retired script); the user still
    signs in. A running server honours a token it checked moments ago for a few seconds more.

    Example: `copact user revoke-tokens raj`, then `copact user token raj` for a new one
    """
    accounts = _accounts(workspace)
    if not accounts.user_exists(username):
        fail(f"no user {username!r}")
    revoked = accounts.revoke_tokens(username)
    out().print(f"{username}: {_tokens(revoked)} revoked", markup=False)


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The user who no longer has access.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Take a user's access away (someone who left): they can no longer sign in, their
    sessions end and their API tokens are revoked. What they recorded stays in the journals
    under their name.

    Example: `copact user disable raj`
    """
    accounts = _accounts(workspace)
    try:
        revoked = accounts.disable(username)
    except CopactError as exc:
        fail(str(exc))
    out().print(f"{username}: disabled; {_tokens(revoked)} revoked", markup=False)


def _tokens(count: int) -> str:
    return f"{count} API token" + ("" if count == 1 else "s")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "script",
    workspace: WorkspaceOption = None,
) -> None:
    """Create an API token for a script (shown once; stored hashed).

    Example: `copact user token raj --label payments-export`
    """
    accounts = _accounts(workspace)
    try:
        token = accounts.create_token(username, label)
    except CopactError as exc:
        fail(str(exc))
    out().print(token, markup=False)


def register(app: typer.Typer) -> None:
    """Add `serve` and `user` to the app."""
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
