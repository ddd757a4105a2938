"""Usage errors of every command: one line on stderr, exit code 2, never a traceback.

The commands are discovered from the Typer app, so a new command is covered without
editing this file. Each is run three ways: without its required arguments, with an
unknown option and with a value its parameter cannot take. The matrix runs the real
entry point (``clearance.cli.main.main``) in this process, since a usage error is
decided before a command touches the store; the README's own examples also run as a
subprocess, exactly as a user types them.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.models import ArgumentInfo, OptionInfo

from clearance.cli.main import app, main

Command = tuple[tuple[str, ...], Callable[..., Any]]

# Values the parser cannot see are wrong, but the command checks before doing anything;
# for these the bad value is semantic. A command absent from here and without an int, float
# or existing-path parameter takes any string, so it has no bad value to test.
SEMANTIC_BAD_VALUES: dict[str, list[str]] = {
    "keys create": ["--role", "emperor"],
    "audit export": ["--format", "pdf"],
    "cases decide": ["1", "--decision", "maybe", "--reason", "x"],
    "lists changes": ["yesterday"],
    "screen": ["ZTE", "--as-of", "not-a-date"],
}


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> Iterator[Command]:
    for info in group.registered_commands:
        assert info.callback is not None
        name = info.name or info.callback.__name__.replace("_", "-")
        yield (*prefix, name), info.callback
    for sub in group.registered_groups:
        assert sub.typer_instance is not None and sub.name is not None
        yield from _commands(sub.typer_instance, (*prefix, sub.name))


COMMANDS = sorted(_commands(app))


def _params(callback: Callable[..., Any]) -> Iterator[tuple[str, type, Any, Any]]:
    """(name, base type, ArgumentInfo or OptionInfo, default) of each parameter."""
    hints = typing.get_type_hints(callback, include_extras=True)
    for name, parameter in inspect.signature(callback).parameters.items():
        hint = hints[name]
        info = next((m for m in getattr(hint, "__metadata__", ())
                     if isinstance(m, (ArgumentInfo, OptionInfo))), None)
        base = typing.get_args(hint)[0] if info is not None else hint
        base = next((t for t in typing.get_args(base) if t is not type(None)), base)
        if typing.get_origin(base) is list:
            base = typing.get_args(base)[0]
        yield name, base, info, parameter.default


def _required(callback: Callable[..., Any]) -> list[str]:
    """The smallest command line that satisfies the parser's required parameters."""
    out: list[str] = []
    for name, base, info, default in _params(callback):
        if default is not inspect.Parameter.empty:
            continue
        value = {int: "1", float: "0.5"}.get(base, str(Path(__file__)))
        if isinstance(info, OptionInfo):
            out += [_option(name, info), value]
        else:
            out.append(value)
    return out


def _option(name: str, info: OptionInfo) -> str:
    decls = [d for d in (info.param_decls or ()) if d.startswith("--")]
    return decls[0] if decls else "--" + name.rstrip("_").replace("_", "-")


def _bad_value(path: tuple[str, ...], callback: Callable[..., Any]) -> list[str] | None:
    """A command line whose one wrong value the parser or the command refuses, if any."""
    if " ".join(path) in SEMANTIC_BAD_VALUES:
        return SEMANTIC_BAD_VALUES[" ".join(path)]
    required = _required(callback)
    for name, base, info, _default in _params(callback):
        if base in (int, float):
            bad = "abc"
        elif base is Path and getattr(info, "exists", False):
            bad = "/nonexistent/file.csv"
        else:
            continue
        if isinstance(info, OptionInfo):
            return [*required, _option(name, info), bad]
        # A positional argument: in its place among the required ones, else after them.
        positional = [n for n, _b, i, _d in _params(callback) if isinstance(i, ArgumentInfo)]
        args = list(required)
        where = positional.index(name)
        return [*args[:where], bad, *args[where + 1:]]
    return None


def _cases() -> Iterator[Any]:
    for path, callback in COMMANDS:
        label = " ".join(path)
        if _required(callback):
            yield pytest.param(path, [], id=f"{label}: missing argument")
        yield pytest.param(path, [*_required(callback), "--no-such-option"],
                           id=f"{label}: unknown option")
        bad = _bad_value(path, callback)
        if bad is not None:
            yield pytest.param(path, bad, id=f"{label}: bad value")


def test_every_command_is_discovered() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"screen", "keys create", "lists import", "audit export", "cases decide",
            "ownership import", "monitor run"} <= names
    assert set(SEMANTIC_BAD_VALUES) <= names


@pytest.mark.parametrize(("path", "args"), list(_cases()))
def test_usage_error_is_one_line_exit_2(path: tuple[str, ...], args: list[str],
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["clearance", *path, *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert exit_.value.code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err


@pytest.mark.parametrize("args", [
    ["keys", "create"], ["screen"], ["screen", "ZTE", "--bogus"],
    ["lists", "import", "/nonexistent/file.csv"]])
def test_readme_examples_as_typed(args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "CLEARANCE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "clearance", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"see 'clearance {' '.join(args[:2] if args[0] != 'screen' else args[:1])}" \
        in done.stderr
