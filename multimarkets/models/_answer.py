"""What every response model carries besides its documented fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["Answer"]


@attrs.frozen(kw_only=True)
class Answer:
    """Base of the response models; the reader (:mod:`multimarkets._read`) fills both fields in."""

    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    """The wire object exactly as received, fields this SDK does not model included."""
    trace: str | None = attrs.field(default=None, repr=False, eq=False)
    """The trace of the call that answered it (None for a model built by hand)."""
