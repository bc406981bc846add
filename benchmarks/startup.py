"""Start-up time: ``import multimarkets``, a client's first import and the ``multimarkets`` command, each in a
fresh interpreter, side by side with ``import aiohttp``.

    python benchmarks/startup.py [--rounds 5] [--runs 10]

The commands take turns run by run, in a fresh random order for every turn; each round prints the median wall
time of every command, and the summary the ratios to ``import aiohttp`` with their min and max over the rounds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
SCRIPT = str(Path(PYTHON).parent / "multimarkets")
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "import aiohttp": [PYTHON, "-c", "import aiohttp"],
    "import multimarkets": [PYTHON, "-c", "import multimarkets"],
    "first AsyncBridgeClient": [PYTHON, "-c", "from multimarkets import AsyncBridgeClient"],
    "first BridgeClient": [PYTHON, "-c", "from multimarkets import BridgeClient"],
    "multimarkets --version": [SCRIPT, "--version"],
    "multimarkets --help": [SCRIPT, "--help"],
}
BASE = "import aiohttp"


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each command per round (default 10)")
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file system cache and the .pyc files
        wall(command)
    rounds = []
    for number in range(1, args.rounds + 1):
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):
            for name in random.sample(list(COMMANDS), len(COMMANDS)):
                times[name].append(wall(COMMANDS[name]))
        medians = {name: statistics.median(values) for name, values in times.items()}
        rounds.append(medians)
        print(f"round {number}: " + "  ".join(f"{name} {value * 1000:.0f}ms" for name, value in medians.items()))
    print(f"\n{args.rounds} rounds of {args.runs} runs each; seconds (median over rounds) and ratio to {BASE}")
    for name in COMMANDS:
        seconds = statistics.median(r[name] for r in rounds)
        ratios = [r[name] / r[BASE] for r in rounds]
        spread = f"min {min(ratios):.2f}x  max {max(ratios):.2f}x"
        print(f"{name:26} {seconds:6.3f} s   {statistics.median(ratios):5.2f}x  ({spread})")


if __name__ == "__main__":
    main()
