#!/usr/bin/env python3
"""Print a pip constraints file pinning every dependency of an installed distribution to its lower bound.

    python scripts/lower_bounds.py [DISTRIBUTION] > lowest.txt
    pip install -c lowest.txt -e ".[dev]"

The bounds are read from the installed metadata (``Requires-Dist``, every extra included), so they are always
the ones ``pyproject.toml`` declares; CI installs with the output to prove that the lowest versions our bounds
allow still install and pass the suite. A dependency declared more than once (core and an extra) is pinned to
the highest of its lower bounds; one without a lower bound is left free, and so is the distribution itself
(extras that name it, such as ``dev`` -> ``multimarkets[cli]``).
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version


def lower_bounds(distribution: str) -> dict[str, Version]:
    """Each dependency of ``distribution`` with a ``>=`` or ``==`` bound, mapped to its highest lower bound."""
    own = canonicalize_name(distribution)
    bounds: dict[str, Version] = {}
    for text in metadata.requires(distribution) or []:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        lows = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
        if name != own and lows:
            bounds[name] = max([*lows, bounds.get(name, lows[0])])
    return bounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("distribution", nargs="?", default="multimarkets")
    args = parser.parse_args(argv)
    for name, version in sorted(lower_bounds(args.distribution).items()):
        sys.stdout.write(f"{name}=={version}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
