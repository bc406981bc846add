"""The :class:`BulkReport` of a bulk run: counts, and the way back to every row's result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from ..errors import ConfigurationError, MultiMarketsError
from .journal import read_results
from .outcome import RowResult

__all__ = ["BulkReport"]


@attrs.frozen
class BulkReport:
    """Counts of one bulk run. It holds no per-row list, so it stays small for any input size; with a
    journal, :meth:`rows` reads every row's result back from it."""

    total: int
    registered: int
    already_exists: int
    invalid: int
    failed: int
    not_attempted: int
    probably_ours: int
    """``already_exists`` rows that were most likely registered by a lost attempt of ours."""
    calls: int
    """Registration calls made by this run (each may have retried internally)."""
    resumed: int
    """Rows whose outcome was already settled in the journal by an earlier run."""
    elapsed: float
    """Seconds the run took."""
    journal: str | None
    """The journal file, or None for a run without one (its state stayed in memory)."""
    stopped_by: MultiMarketsError | None = attrs.field(default=None, eq=False)
    """The fatal error that stopped the run (ban, bad key, bad signature, no permission), if any."""

    @property
    def complete(self) -> bool:
        """True when every row reached an outcome other than ``not_attempted``."""
        return self.stopped_by is None and self.not_attempted == 0

    @property
    def ok(self) -> bool:
        """True when the run completed and no row failed (invalid and already existing rows are not failures)."""
        return self.complete and self.failed == 0

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts (the ``summary`` object of a JSON report)."""
        summary = attrs.asdict(self, filter=lambda field, _: field.name != "stopped_by")
        summary["elapsed"] = round(self.elapsed, 3)
        error = self.stopped_by
        summary["stopped_by"] = None if error is None else {"error": type(error).__name__, "message": str(error)}
        return summary

    def rows(self) -> Iterator[RowResult]:
        """Every row's result in input order, read from the journal (only for runs with a journal file)."""
        if self.journal is None:
            raise ConfigurationError("this run had no journal file; pass journal=PATH to keep per-row results")
        return read_results(self.journal)
