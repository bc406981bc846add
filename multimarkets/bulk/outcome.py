"""The outcome of one input row of a bulk registration."""

from __future__ import annotations

import enum
from typing import Any

import attrs

__all__ = ["REPORT_COLUMNS", "RowOutcome", "RowResult"]


class RowOutcome(str, enum.Enum):
    """What happened to one row of a bulk registration."""

    REGISTERED = "registered"
    """The service registered the customer; ``customer_no`` is set."""
    ALREADY_EXISTS = "already_exists"
    """The service already had this phone or e-mail (``probably_ours`` when our own lost attempt did it)."""
    INVALID = "invalid"
    """Rejected by local validation; never sent."""
    FAILED = "failed"
    """The service refused it, or transient failures outlasted every retry; ``code`` and ``message`` say why."""
    NOT_ATTEMPTED = "not_attempted"
    """The run stopped (fatal error) before this row was sent; resuming sends it. Read back from the journal of a
    run that ended while the row's call was under way (Ctrl-C, a cancellation), its message says it may have
    been sent: resuming sends it again, and the service's duplicate check tells if that call registered it."""


REPORT_COLUMNS = ("row", "email", "phone", "outcome", "customer_no", "code", "message", "attempts", "trace")
"""The columns of a CSV report, and the keys of each row in a JSON report, in this order."""


@attrs.frozen
class RowResult:
    """The outcome of one input row."""

    row: int
    """1-based position of the row in the input (for a CSV file: the data row number, header not counted)."""
    email: str | None
    phone: str | None
    outcome: RowOutcome
    customer_no: str | None = None
    code: str | None = None
    """The service's error code (or the local error's field for ``invalid`` rows)."""
    message: str | None = None
    attempts: int = 0
    """Registration calls made for this row, over every run of the journal (each may retry internally)."""
    probably_ours: bool = False
    """``already_exists`` after an attempt of ours whose answer was lost: most likely we registered it."""
    resumed: bool = False
    """Settled by an earlier run of the journal: this run read it back instead of working on it (not reported)."""
    trace: str | None = None
    """The trace id of the call whose error settled the row (``failed``, ``already_exists``, ``not_attempted``
    after a refused call): quote it to support. None for a registered row (quote its customer number)."""

    def report_row(self) -> dict[str, Any]:
        """The row as the CSV/JSON report writes it (:data:`REPORT_COLUMNS`)."""
        return attrs.asdict(
            self,
            filter=lambda field, _: field.name in REPORT_COLUMNS,
            value_serializer=lambda _, __, value: value.value if isinstance(value, RowOutcome) else value,
        )
