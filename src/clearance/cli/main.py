"""The ``clearance`` command: one Typer app, one module per command group, one error handler."""

from __future__ import annotations

import sys

import typer

from clearance.cli import audit, cases, check, db, keys, lists, monitor, screen, serve
from clearance.cli import spark as spark_cli
from clearance.cli.render import err_console
from clearance.errors import ClearanceError

app = typer.Typer(
    name="clearance",
    help="Restricted-party and export-control screening against the official lists.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(lists.app, name="lists")
app.command("screen")(screen.screen)
app.command("screen-file")(screen.screen_file_cmd)
app.command("match-pairs")(screen.match_pairs_cmd)
app.add_typer(keys.app, name="keys")
app.command("serve")(serve.serve)
check.register(app)
app.add_typer(audit.app, name="audit")
app.add_typer(cases.app, name="cases")
app.add_typer(db.app, name="db")
app.command("spark")(spark_cli.spark)
app.add_typer(monitor.app, name="monitor")


def main() -> None:
    """Entry point: run the app; turn every ClearanceError into one clear line and its exit code."""
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ClearanceError as exc:
        err_console.print(f"[bold red]error:[/] {exc.describe()}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
