"""Progress and summary of a bulk run on the terminal: a rich progress bar when stderr is a terminal (and rich
is installed), otherwise a plain line every few seconds; a summary table at the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TextIO

from ..bulk import BulkReport, RowOutcome, RowResult

__all__ = ["BulkProgress", "print_partial_summary", "print_summary"]

_PLAIN_INTERVAL = 5.0
_LABELS = {
    RowOutcome.REGISTERED: "registered",
    RowOutcome.ALREADY_EXISTS: "already exists",
    RowOutcome.INVALID: "invalid",
    RowOutcome.FAILED: "failed",
    RowOutcome.NOT_ATTEMPTED: "not attempted",
}


def _rich_console(stream: TextIO) -> Any:
    """A rich console on ``stream`` when it is a terminal and rich is installed, else None."""
    if not stream.isatty():
        return None
    try:
        from rich.console import Console
    except ImportError:
        return None
    return Console(file=stream)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class BulkProgress:
    """Counts results as an ``on_result`` callback and shows them; use as a context manager."""

    def __init__(self, total: int | None, *, stream: TextIO | None = None, label: str = "registering") -> None:
        self.total = total
        self.counts = dict.fromkeys(RowOutcome, 0)
        self.done = 0
        self.resumed = 0
        """Rows settled by earlier runs of the journal: counted as done, but not in the rate or the ETA."""
        self._stream = stream if stream is not None else sys.stderr
        self._label = label
        self._started = time.monotonic()
        self._last_line = self._started
        self._next_tenth = 1
        self._shown = 0
        self._console = _rich_console(self._stream)
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> BulkProgress:
        self._started = self._last_line = time.monotonic()
        if self._console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("{task.fields[eta]}"),
                TextColumn("{task.fields[counts]}"),
                console=self._console,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=self.total, rate="", eta="", counts="")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.done != self._shown:
            self._print_line()

    def __call__(self, result: RowResult) -> None:
        self.counts[result.outcome] += 1
        self.done += 1
        self.resumed += result.resumed
        if self._bar is not None:
            eta = self._eta()
            self._bar.update(
                self._task,
                completed=self.done,
                rate=self._rate(),
                eta=f"ETA {eta}" if eta else "",
                counts=self._counts(),
            )
            return
        now = time.monotonic()
        tenth = self.total is not None and self.done * 10 >= self._next_tenth * self.total
        if tenth or now - self._last_line >= _PLAIN_INTERVAL:
            if self.total:
                self._next_tenth = self.done * 10 // self.total + 1
            self._last_line = now
            self._print_line()

    def _rate(self) -> str:
        """Rows per second settled by this run (rows read back from the journal of an earlier run would show
        thousands per second)."""
        elapsed = time.monotonic() - self._started
        worked = self.done - self.resumed
        return f"{worked / elapsed:.1f} rows/s" if elapsed > 0 and worked else ""

    def _eta(self) -> str:
        """Time left at this run's own rate, "" when unknown."""
        worked = self.done - self.resumed
        if not self.total or not worked or self.done >= self.total:
            return ""
        return _clock((time.monotonic() - self._started) / worked * (self.total - self.done))

    def _counts(self) -> str:
        return " · ".join(f"{_LABELS[outcome]} {count}" for outcome, count in self.counts.items() if count)

    def _print_line(self) -> None:
        self._shown = self.done
        parts = [f"{self._label}: {self.done}" + (f"/{self.total}" if self.total is not None else "") + " rows"]
        if self.total:
            parts[0] += f" ({self.done * 100 // self.total}%)"
        parts.append(self._rate())
        if eta := self._eta():
            parts.append(f"ETA {eta}")
        parts.append(self._counts())
        print(" · ".join(part for part in parts if part), file=self._stream, flush=True)


def print_summary(report: BulkReport, extra: Sequence[tuple[str, str]] = (), *, stream: TextIO | None = None) -> None:
    """Print the outcome counts of ``report`` and ``extra`` (label, value) lines as a table (on stdout)."""
    stream = stream if stream is not None else sys.stdout
    lines = [
        ("registered", str(report.registered)),
        ("already exists", f"{report.already_exists} ({report.probably_ours} probably ours)"),
        ("invalid (not sent)", str(report.invalid)),
        ("failed", str(report.failed)),
        ("not attempted", str(report.not_attempted)),
        ("total rows", str(report.total)),
        ("registration calls", str(report.calls)),
        ("elapsed", f"{report.elapsed:.1f} s"),
        *extra,
    ]
    if report.resumed:
        lines.insert(6, ("settled by earlier runs", str(report.resumed)))
    if report.stopped_by is not None:
        lines.append(("stopped by", f"{type(report.stopped_by).__name__}: {report.stopped_by}"))
    _print_table(lines, stream)


def print_partial_summary(progress: BulkProgress, *, stream: TextIO | None = None) -> None:
    """Print the outcomes ``progress`` saw of a run that ended without its report (on stdout, as
    :func:`print_summary`): the rows it did not see settle may have been sent or not."""
    counts = progress.counts
    lines = [
        ("registered", str(counts[RowOutcome.REGISTERED])),
        ("already exists", str(counts[RowOutcome.ALREADY_EXISTS])),
        ("invalid (not sent)", str(counts[RowOutcome.INVALID])),
        ("failed", str(counts[RowOutcome.FAILED])),
        ("not attempted", str(counts[RowOutcome.NOT_ATTEMPTED])),
    ]
    if progress.total is not None:
        lines += [("no outcome", str(progress.total - progress.done)), ("total rows", str(progress.total))]
    if progress.resumed:
        lines.append(("settled by earlier runs", str(progress.resumed)))
    _print_table(lines, stream if stream is not None else sys.stdout)


def _print_table(lines: Sequence[tuple[str, str]], stream: TextIO) -> None:
    console = _rich_console(stream)
    if console is not None:
        from rich.table import Table

        table = Table(title="bulk registration", show_header=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        for label, value in lines:
            table.add_row(label, value)
        console.print(table)
        return
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label:<{width}}  {value}", file=stream)
