"""Bulk import from a CSV file, with a journal that makes the run resumable.

    python examples/csv_import.py [FILE.csv]

registers the customers of ``FILE.csv`` (default: ``customers.csv`` beside this script) in an embedded sandbox
and prints each row's outcome. The command line does the same against the service:
``multimarkets customers import FILE.csv --journal run.db --report report.csv``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from multimarkets import AsyncBridgeClient
from multimarkets.bulk import read_csv
from multimarkets.sandbox import Sandbox


async def main(csv_file: Path) -> None:
    async with (
        Sandbox(rate_limit="100/1s") as sandbox,
        AsyncBridgeClient(sandbox.credentials, sandbox.base_url, trust_env=False) as client,
    ):
        # Keep the journal somewhere durable in a real run: the same path resumes a run that was stopped.
        with tempfile.TemporaryDirectory() as scratch:
            report = await client.customers.register_many(
                read_csv(csv_file), concurrency=4, journal=Path(scratch) / "import.db"
            )
            for result in report.rows():  # every row in input order, read back from the journal
                why = f"({result.code}: {result.message})" if result.message else None
                print(" ".join(filter(None, [f"row {result.row}:", result.outcome.value, result.customer_no, why])))
        print(f"{report.registered} registered, {report.already_exists} already existed, {report.invalid} invalid")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("customers.csv")))
