"""What every ``xinyong`` sub-command prints when a service refuses: the same problem the API
would return (Chinese title, stable code, each field's message), then exit code 1."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from xinyong.errors import XinyongError


def fail(exc: XinyongError, console: Console) -> typer.Exit:
    """Print ``exc`` on ``console`` and return the exit to raise (``raise fail(exc, c)``)."""
    console.print(f"[red]{escape(exc.title)}[/red]（{exc.code}）", highlight=False)
    for item in exc.errors:
        if item.message != exc.title:
            console.print(f"  {item.field}: {escape(item.message)}", highlight=False)
    return typer.Exit(1)
