"""The ``chatdlp`` group: a lazy map of commands, and the one exit path.

Commands return (None, an :class:`~chatdlp.errors.ExitCode`, or a scan outcome
that knows its exit code) or raise a :class:`~chatdlp.errors.ChatdlpError`.
:meth:`ChatdlpGroup.invoke` turns either into the process's exit code, with a
message and no traceback: it is the only place that calls ``sys.exit``. Any other
exception is a bug: exit 4, one line, and the traceback's frames (no exception
message, no locals: they may hold values) in a file in the output directory.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
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

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["chatdlp.args"] = list(args)  # where a crash report goes (--out)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            code = exit_code_of(super().invoke(ctx))
        except ChatdlpError as exc:
            click.echo(f"chatdlp: error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("chatdlp: interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: never exit 1, which means "findings"
            where = write_crash_report(exc, ctx.meta.get("chatdlp.args", []))
            click.echo(f"chatdlp: internal error ({type(exc).__name__}); this is a bug: "
                       f"the traceback is in {where}", err=True)
            sys.exit(int(ExitCode.CRASH))
        if code != ExitCode.OK:
            sys.exit(int(code))


def crash_report_text(exc: BaseException) -> str:
    """The frames of ``exc`` and of the exceptions it chains, with type names only: an
    exception's message, and any local variable, may hold a scanned value."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.StackSummary.extract(
            traceback.walk_tb(current.__traceback__), capture_locals=False
        )
        parts.append("Traceback (most recent call last):\n" + "".join(frames.format())
                     + f"{type(current).__module__}.{type(current).__qualname__}\n")
        current = current.__cause__ or current.__context__
    return f"chatdlp {__version__}: internal error\n" + "\n".join(reversed(parts))


def _crash_directory(args: list[str]) -> Path:
    out: str | None = None
    for index, arg in enumerate(args):
        if arg == "--out" and index + 1 < len(args):
            out = args[index + 1]
        elif arg.startswith("--out="):
            out = arg.split("=", 1)[1]
    candidates = [Path(out) if out else Path("chatdlp-out")]
    if out:
        candidates.append(Path(out).parent)  # fetch --out FILE.jsonl
    for candidate in candidates:
        if candidate.is_dir() and os.access(candidate, os.W_OK):
            return candidate
    return Path(tempfile.gettempdir())


def write_crash_report(exc: BaseException, args: list[str]) -> str:
    """Write the crash report into the output directory (else the temp directory)."""
    name = f"chatdlp-crash-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}.txt"
    path = _crash_directory(args) / name
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="replace") as handle:
            handle.write(crash_report_text(exc))
    except OSError:
        return "(nowhere: the crash report could not be written)"
    return str(path)


def _version_message() -> str:
    from chatdlp.detect.nlp import NlpProfile

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
    configuration error, 3 the scan could not finish (what was found is written),
    4 internal error (a bug; the traceback file is named).
    """
