"""Start-up time: ``import multimarkets``, a client's first import, a client ready for its first
``customers.register`` (made with an RSA key, its namespace made: all a call loads before it sends) and the
``multimarkets`` command, each in a fresh interpreter, side by side with ``import aiohttp``.

    python benchmarks/startup.py [--rounds 5] [--runs 10]

The commands take turns run by run, in a fresh random order for every turn; each round prints the median wall
time and the median CPU time (the child's user + system) of every command, and the summary both with their
ratios to ``import aiohttp`` (min and max over the rounds). On a loaded machine the wall time counts the waits
for a core; the CPU time is what the command costs, and its ratio is the one to read there.

The package's bytecode is compiled first, as ``pip install`` does and as aiohttp's is: with
``PYTHONDONTWRITEBYTECODE`` set (or a read-only checkout) an editable install would otherwise compile every
module of the SDK from source at each start, which aiohttp's side never does.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from multimarkets.sandbox.keys import generate_secret_key

PYTHON = sys.executable
SCRIPT = str(Path(PYTHON).parent / "multimarkets")
READY = "m.{}(m.Credentials.from_env(), 'http://127.0.0.1:9').customers"
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "import aiohttp": [PYTHON, "-c", "import aiohttp"],
    "import multimarkets": [PYTHON, "-c", "import multimarkets"],
    "first AsyncBridgeClient": [PYTHON, "-c", "from multimarkets import AsyncBridgeClient"],
    "first BridgeClient": [PYTHON, "-c", "from multimarkets import BridgeClient"],
    "AsyncBridgeClient ready": [PYTHON, "-c", f"import multimarkets as m\n{READY.format('AsyncBridgeClient')}"],
    "BridgeClient ready": [PYTHON, "-c", f"import multimarkets as m\n{READY.format('BridgeClient')}"],
    "multimarkets --version": [SCRIPT, "--version"],
    "multimarkets --help": [SCRIPT, "--help"],
}
BASE = "import aiohttp"


def run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (CPU: user + system of the child, waited for here)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def summary(name: str, rounds: list[dict[str, float]]) -> str:
    seconds = statistics.median(r[name] for r in rounds)
    ratios = [r[name] / r[BASE] for r in rounds]
    return f"{seconds:6.3f} s {statistics.median(ratios):5.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each command per round (default 10)")
    args = parser.parse_args()
    os.environ.update(
        MULTIMARKETS_API_KEY="bench-key", MULTIMARKETS_SECRET_KEY=generate_secret_key(), MULTIMARKETS_COMPANY_ID="1"
    )
    spec = importlib.util.find_spec("multimarkets")
    assert spec is not None and spec.submodule_search_locations, "multimarkets is not installed"
    for package in spec.submodule_search_locations:
        compileall.compile_dir(package, quiet=1)
    for command in COMMANDS.values():  # warm the file system cache and the .pyc files
        run(command)
    walls: list[dict[str, float]] = []
    cpus: list[dict[str, float]] = []
    for number in range(1, args.rounds + 1):
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):
            for name in random.sample(list(COMMANDS), len(COMMANDS)):
                times[name].append(run(COMMANDS[name]))
        walls.append({name: statistics.median(w for w, _ in values) for name, values in times.items()})
        cpus.append({name: statistics.median(c for _, c in values) for name, values in times.items()})
        cells = (f"{name} {walls[-1][name] * 1000:.0f}/{cpus[-1][name] * 1000:.0f}ms" for name in COMMANDS)
        print(f"round {number} (wall/CPU): " + "  ".join(cells))
    print(f"\n{args.rounds} rounds of {args.runs} runs each; median over rounds, ratio to {BASE} (min-max)")
    print(f"{'':26} {'wall':>25}   {'CPU (user + sys)':>25}")
    for name in COMMANDS:
        print(f"{name:26} {summary(name, walls):>25}   {summary(name, cpus):>25}")


if __name__ == "__main__":
    main()
