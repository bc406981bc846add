"""Bulk registration sits beside the client, not inside it: it loads on first use and depends only on the
models, the errors and the configuration (the customers resource hands it the rest, pacing included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import multimarkets.bulk

BULK = Path(multimarkets.bulk.__file__).parent
ALLOWED = {"models", "errors", "config"}


def test_import_multimarkets_loads_neither_bulk_nor_sqlite3_nor_csv() -> None:
    script = (
        "import sys, multimarkets\n"
        "client = multimarkets.AsyncBridgeClient\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlite3', 'csv', '_csv') or "
        "m.startswith('multimarkets.bulk')))\n"
        "multimarkets.RowResult\n"
        "print('multimarkets.bulk' in sys.modules)\n"
    )
    loaded, bulk_on_first_use = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert loaded == "[]"
    assert bulk_on_first_use == "True"


def test_bulk_imports_nothing_of_the_package_but_models_errors_and_config() -> None:
    reached = set()
    for source in BULK.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                reached.add((node.module or "").split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                assert not str(node.module).startswith("multimarkets"), source
            elif isinstance(node, ast.Import):
                assert not any(alias.name.startswith("multimarkets") for alias in node.names), source
    assert reached <= ALLOWED, reached - ALLOWED
