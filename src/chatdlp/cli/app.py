"""The ``chatdlp`` group: a lazy map of commands, and the one exit path.

Commands return (None, an :class:`~chatdlp.errors.ExitCode`, or a scan outcome
that knows its exit code) or raise a :class:`~chatdlp.errors.ChatdlpError`.
:meth:`ChatdlpGroup.invoke` turns either into the process's exit code, with a
message and no traceback: it is the only place that calls ``sys.exit``.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
from typing import Any, Protocol, runtime_checkable

import click

from chatdlp import __version__
from chatdlp.errors import ChatdlpError, ExitCode

# command name -> (module, attribute); a command's module is imported when it runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("chatdlp.cli.scan", "scan"),
    "sweep": ("chatdlp.cli.sweep", "sweep"),
    "report": ("chatdlp.cli.report", "report"),
    "findings": ("chatdlp.cli.findings", "findings"),
    "fetch": ("chatdlp.cli.fetch", "fetch"),
    "policy": ("chatdlp.cli.policy", "policy"),
    "eval": ("chatdlp.cli.eval", "eval_command"),
    "edm": ("chatdlp.cli.edm", "edm"),
}


@runtime_checkable
class Outcome(Protocol):
    """What a scan command returns (:class:`chatdlp.pipeline.outcome.ScanOutcome`)."""

    def problem(self) -> ChatdlpError | None: ...

    def exit_code(self) -> ExitCode: ...


def exit_code_of(result: Any) -> ExitCode:
    """A command's result as an exit code; a problem the outcome ends with is raised."""
    if isinstance(result, Outcome):
        problem = result.problem()
        if problem is not None:
            raise problem
        return result.exit_code()
    if isinstance(result, ExitCode):
        return result
    return ExitCode.OK


class ChatdlpGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            code = exit_code_of(super().invoke(ctx))
        except ChatdlpError as exc:
            click.echo(f"chatdlp: error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except BrokenPipeError:
            _quiet_stdout()  # `chatdlp findings list | head`: the reader left; not an error
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("chatdlp: interrupted", err=True)
            sys.exit(130)
        if code != ExitCode.OK:
            sys.exit(int(code))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def _version_message() -> str:
    from chatdlp.detect.nlp import NlpProfile  # the profile only: no Presidio, no spaCy

    try:
        pipeline = NlpProfile.load().installed_package()
    except ChatdlpError:
        pipeline = "none installed"
    return f"chatdlp {__version__} (spaCy pipeline: {pipeline})"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # Lazily: finding the spaCy pipeline imports the detector, which no other command needs
    # before it runs (triage, report rebuilds).
    if value and not ctx.resilient_parsing:
        click.echo(_version_message())
        ctx.exit()


@click.group(cls=ChatdlpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
def main() -> None:
    """chatdlp: find personal data, health data, card numbers, secrets and
    confidential terms in AI chat transcripts (ChatGPT Enterprise / Edu).

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or
    configuration error, 3 the scan could not finish (what was found is written).
    """
