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


# The exceptions the command-line parser raises for a usage error (missing argument, unknown
# option, bad value). Typer up to 0.2x raised click's own; newer Typer bundles its own copy of
# click (``typer._click``), whose exceptions are not click's. Both are found as the base class
# of ``typer.BadParameter`` that carries ``exit_code`` and ``format_message``, so the handler
# follows whichever Typer is installed.
ParserError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    """Entry point: run the app; turn every ClearanceError into one clear line and its exit code."""
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(standalone_mode=False, prog_name="clearance")
        if isinstance(code, int) and code:
            sys.exit(code)
    except ClearanceError as exc:
        err_console.print(f"[bold red]error:[/] {exc.describe()}", highlight=False,
                          soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except ParserError as exc:
        sys.exit(usage_error(exc))


def usage_error(exc: Exception) -> int:
    """Print a parser error as one line (the command's help when it was called bare)."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()  # type: ignore[attr-defined]  # a bare group: its help is the answer
    else:
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
        err_console.print(f"[bold red]error:[/] {message}{hint}", highlight=False,
                          markup=True, soft_wrap=True)
    return int(getattr(exc, "exit_code", 2))


if __name__ == "__main__":
    main()
