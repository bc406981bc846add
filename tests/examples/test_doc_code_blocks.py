"""Every ```python block of README.md and docs/**/*.md compiles, so a reader who copies one gets Python.

The blocks are compiled, not run (most talk to the real service): a block must be a whole Python module, without
top-level ``await`` (an async example defines ``async def main()`` and runs it, as the README's do). A block may
use names it does not define (``client``, ``rows``), as prose around it explains. A block nested in a list item is
dedented first, as Markdown does. A block that is not Python (a shell session, a signature) takes another
language tag (``text``, ``console``), so nothing is exempt by marking.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    """(``path:line`` of the fence, block's source) for every python block."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", textwrap.dedent(match["body"])))
    return found


BLOCKS = _blocks()


def test_the_docs_have_python_blocks_to_check() -> None:
    # A fence regex that stopped matching would pass every block vacuously.
    assert len(BLOCKS) >= 20
    assert any(where.startswith("docs/") for where, _ in BLOCKS)


@pytest.mark.parametrize(("where", "source"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_python_block_compiles(where: str, source: str) -> None:
    compile(source, where, "exec", dont_inherit=True)
