"""``--help`` of every command at every level prints help, found by walking the parser rather than a list."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

import pytest

from multimarkets.cli import build_parser, main


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command of ``parser`` as the words that name it: () for the top level, then each subcommand."""
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                yield from command_paths(subparser, (*prefix, name))


COMMANDS = list(command_paths(build_parser()))


def test_the_walk_finds_the_nested_commands() -> None:
    assert {("demo",), ("sandbox",), ("customers", "import"), ("webhooks", "listen"), ("data-push", "listen")} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("words", COMMANDS, ids=lambda words: " ".join(words) or "multimarkets")
def test_help_prints_usage_and_exits_0(words: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*words, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(('multimarkets', *words))}")
    assert "--help" in out


def test_demo_help_from_a_new_process_shows_the_default_faults() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "multimarkets.cli", "demo", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "error5xx=2%" in done.stdout
