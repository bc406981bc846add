"""Counters behind ``/__sandbox__/stats``."""

from __future__ import annotations

from .faults import FAULT_KINDS

__all__ = ["COUNTERS", "Stats"]

COUNTERS = (
    "requests",
    "ok",
    "rate_limited",
    "banned",
    "rejected_api_key",
    "rejected_header",
    "rejected_timestamp",
    "rejected_signature",
    "rejected_params",
    "unknown_biz_type",
    "biz_errors",
    "server_errors",
    "fault_latency",
    *(f"fault_{kind}" for kind in FAULT_KINDS),
    "webhook_events",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_failures",
    "webhook_dropped",
    "manager_requests",
    "manager_ok",
    "manager_rate_limited",
    "manager_rejected",
    "manager_biz_errors",
    "manager_server_errors",
    "manager_faults",
)
"""Every counter, always present in a snapshot (zero until it happens)."""


class Stats:
    """Plain counters; only touched from the sandbox's event loop."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts = dict.fromkeys(COUNTERS, 0)

    def incr(self, name: str) -> None:
        """Add one to ``name``."""
        self.counts[name] += 1

    def snapshot(self) -> dict[str, int]:
        """A copy of every counter."""
        return dict(self.counts)

    def reset(self) -> None:
        """Set every counter back to zero."""
        self.counts = dict.fromkeys(COUNTERS, 0)
