"""What every `orgcover` command shares: exit codes, the --token option, settings, the
caller a token names, and one way to run a coroutine with expected errors as one line."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from app.settings import Settings
from graph.errors import Forbidden, OrgcoverError
from graph.store import GraphStore
from resolvers.access import OPERATOR, Caller, Right

T = TypeVar("T")

EXIT_INVALID = 1
EXIT_ERROR = 2

TokenOption = Annotated[str | None, typer.Option(
    "--token", envvar="ORGCOVER_TOKEN",
    help="Act as the caller of this token (bound to its rights and jurisdiction) rather "
         "than as the operator.")]


def debug() -> bool:
    return os.environ.get("ORGCOVER_DEBUG", "") not in ("", "0", "false")


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    typer.echo(f"orgcover: error: {message}", err=True)
    return typer.Exit(code)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a rule over several settings: its message names them
            raise fail(str(first["msg"]).removeprefix("Value error, ")) from None
        field = str(first["loc"][0])
        raise fail(f"setting ORGCOVER_{field.upper()} is invalid: {first['msg']}") from None


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine; expected errors become one line and an exit status."""
    try:
        return asyncio.run(main())
    except OrgcoverError as exc:
        if debug():
            raise
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


async def caller_of(settings: Settings, store: GraphStore, token: str | None) -> Caller:
    """The operator without a token; else the token's verified caller."""
    if token is None:
        return OPERATOR
    from app.auth.tokens import TokenVerifier
    from app.main import auth_config
    from graph.repo.audits import place_by_code

    settings.require_auth()

    async def place_exists(code: str) -> bool:
        return await place_by_code(store, code=code) is not None

    verifier = TokenVerifier(auth_config(settings), place_exists=place_exists)
    return await verifier.verify(token)


def require(caller: Caller, right: Right, what: str = "this command") -> None:
    if not caller.can(right):
        raise Forbidden(f"{what} needs the right '{right}'; the token's roles "
                        f"({', '.join(caller.roles)}) do not give it")
