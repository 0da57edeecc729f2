"""The ``chatdlp`` group: a lazy map of commands, and the one exit path.

Commands return (None, an :class:`~chatdlp.errors.ExitCode`, or a scan outcome
that knows its exit code) or raise a :class:`~chatdlp.errors.ChatdlpError`.
:meth:`ChatdlpGroup.invoke` turns either into the process's exit code, with a
message and no traceback: it is the only place that calls ``sys.exit``. Any other
exception is a bug: exit 4, one line, and the traceback's frames (no exception
message, no locals: they may hold values) in a file in the output directory.
"""

from __future__ import annotations

import difflib
import importlib
import io
import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import click

import chatdlp
from chatdlp.errors import ChatdlpError, ExitCode

log = logging.getLogger("chatdlp.cli")
CONFIG_META = "chatdlp.config"
INTERRUPT_META = "chatdlp.interrupted"  # what a Ctrl-C leaves behind, set by the running command

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
    "remediate": ("chatdlp.cli.remediate", "remediate"),
    "audit": ("chatdlp.cli.audit", "audit"),
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

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        # option names only: their values may be anything (a path, a search term)
        log.debug("command %s, options given: %s", name,
                  " ".join(a.split("=", 1)[0] for a in rest if a.startswith("-")) or "none")
        config = ctx.meta.get(CONFIG_META)
        if name and command is not None and config is not None:
            path, data = config
            if name in data:  # [scan], [findings.list]...: this command's defaults
                from chatdlp.cli.config import default_map_for

                ctx.default_map = {**(ctx.default_map or {}),
                                   name: default_map_for(command, data[name], f"{path} [{name}]")}
                log.info("defaults of %s from %s: %s", name, path, ", ".join(sorted(data[name])))
        return name, command, rest

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
        except BrokenPipeError:
            _quiet_stdout()  # `chatdlp findings list | head`: the reader left; not an error
            sys.exit(0)
        except KeyboardInterrupt:
            # one line: what is kept (a command says so in ctx.meta), no traceback
            note = ctx.meta.get(INTERRUPT_META, "nothing was changed")
            click.echo(f"chatdlp: interrupted; {note}", err=True)
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
    return f"chatdlp {chatdlp.__version__}: internal error\n" + "\n".join(reversed(parts))


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


def _load_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """--config FILE, ./chatdlp.toml or ~/.config/chatdlp/config.toml: kept for resolve_command."""
    if ctx.resilient_parsing:
        return
    from chatdlp.cli.config import find_config_file, read_config

    path = find_config_file(value)
    if path is None:
        return
    try:
        data = read_config(path)
    except ChatdlpError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=_param) from None
    unknown = [name for name in data if name not in COMMANDS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(COMMANDS), n=1)
        hint = f"; did you mean [{close[0]}]?" if close else ""
        raise click.BadParameter(f"{path}: unknown table [{unknown[0]}]{hint} (one table per command)",
                                 ctx=ctx, param=_param)
    ctx.meta[CONFIG_META] = (path, data)


def _set_logging(ctx: click.Context, param: click.Parameter, value: object) -> None:
    if ctx.resilient_parsing or not value:
        return
    from chatdlp.cli.logs import configure_logging

    level = logging.DEBUG if param.name == "debug" or (isinstance(value, int) and value > 1) else logging.INFO
    configure_logging(level)


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
    return f"chatdlp {chatdlp.__version__} (spaCy pipeline: {pipeline})"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # Lazily: finding the spaCy pipeline imports the detector, which no other command needs
    # before it runs (triage, report rebuilds).
    if value and not ctx.resilient_parsing:
        click.echo(_version_message())
        ctx.exit()


@click.group(cls=ChatdlpGroup, context_settings={
    "help_option_names": ["-h", "--help"],
    # every option also from CHATDLP_<COMMAND>_<OPTION> (CHATDLP_SCAN_FAIL_ON=critical)
    "auto_envvar_prefix": "CHATDLP",
})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
@click.option("--config", "config", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              is_eager=True, expose_value=False, callback=_load_config,
              help="Option defaults, one table per command ([scan], [findings.list]). "
              "Default: ./chatdlp.toml, else ~/.config/chatdlp/config.toml.")
@click.option("-v", "--verbose", "verbose", count=True, expose_value=False, callback=_set_logging,
              help="Log what chatdlp does on stderr (-vv: debug). Never a value from the data.")
@click.option("--debug", "debug", is_flag=True, expose_value=False, callback=_set_logging,
              help="The same as -vv.")
def main() -> None:
    """chatdlp: find personal data, health data, card numbers, secrets and
    confidential terms in AI chat transcripts (ChatGPT Enterprise / Edu).

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or
    configuration error, 3 the scan could not finish (what was found is written),
    4 internal error (a bug; the traceback file is named).
    """
