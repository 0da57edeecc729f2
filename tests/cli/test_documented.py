"""Every command and subcommand is in the README, with an example, and has --help text."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from chatdlp.cli.app import COMMANDS

README = (Path(__file__).parents[2] / "README.md").read_text()


def _commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, (module, attribute) in sorted(COMMANDS.items()):
        command = getattr(importlib.import_module(module), attribute)
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", cmd) for sub, cmd in sorted(command.commands.items())]
        else:
            found.append((name, command))
    return found


def _code_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_every_command_is_documented_with_an_example() -> None:
    examples = "\n".join(_code_blocks(README))
    missing = [name for name, _ in _commands() if f"chatdlp {name}" not in README]
    assert not missing, f"not in README.md: {missing}"
    no_example = [name for name, _ in _commands() if f"chatdlp {name}" not in examples]
    assert not no_example, f"no example in README.md: {no_example}"


def test_every_command_has_help() -> None:
    assert all((command.help or "").strip() for _, command in _commands())
