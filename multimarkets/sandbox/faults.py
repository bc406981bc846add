"""Seeded fault injection.

Spec syntax: comma-separated ``[SELECTOR:]NAME=VALUE`` entries, e.g.
``latency=20ms..200ms,error5xx=0.05,reset_before=2%,addCustomer:reset_after_commit=0.1,stall=2s``.

- ``NAME`` is a fault kind with a probability (``0.05`` or ``5%``): ``error5xx``, ``reset_before``,
  ``reset_after_commit``, ``html403``, ``bad_json``, ``slow_body``; or ``latency`` with a duration or a
  uniform range (``50ms``, ``20ms..200ms``, added to every request); or ``stall`` (how long ``slow_body``
  holds the rest of the body; default the sandbox's ``slow_body_seconds``).
- ``SELECTOR`` limits an entry to one bizType, given in full or as its last dotted segment
  (``addCustomer``). A selected entry overrides the unselected one of the same name for that bizType; a full
  bizType wins over a last segment.

For each request one uniform draw picks at most one fault kind (kinds are exclusive, so each fires at its
own rate; the rates of a bizType may add up to at most 1), then one draw gives the latency if any, then
one draw picks the variant of the fault that fired. All draws come from one ``random.Random(seed)``, so
the same seed and the same sequence of requests give the same faults.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import attrs

from ..config import parse_duration
from ..errors import ConfigurationError

__all__ = ["FAULT_KINDS", "FaultInjector", "FaultPlan", "FaultRule", "FaultSpec", "Latency"]

FAULT_KINDS = ("error5xx", "reset_before", "reset_after_commit", "html403", "bad_json", "slow_body")
"""Fault kinds with a probability, in the order the draw assigns them."""

PRE_HANDLER_KINDS = frozenset({"error5xx", "reset_before", "html403"})
"""Kinds that strike before the gateway: the request is not counted and changes nothing."""


def _format_seconds(seconds: float) -> str:
    return f"{round(seconds * 1000, 3):g}ms"


@attrs.frozen
class Latency:
    """Extra latency drawn uniformly from ``low..high`` seconds."""

    low: float
    high: float

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ConfigurationError(f"latency range {self.low}..{self.high} is not 0 <= low <= high")

    @classmethod
    def parse(cls, text: str) -> Latency:
        """Parse ``"50ms"`` or ``"20ms..200ms"``."""
        low, sep, high = text.strip().partition("..")
        try:
            return cls(parse_duration(low), parse_duration(high if sep else low))
        except ValueError:
            raise ConfigurationError(f"latency {text!r} is not DURATION or DURATION..DURATION") from None

    def __str__(self) -> str:
        if self.low == self.high:
            return _format_seconds(self.low)
        return f"{_format_seconds(self.low)}..{_format_seconds(self.high)}"


@attrs.frozen
class FaultRule:
    """The fault settings of one scope (every bizType, or one selector); None means "not set here"."""

    rates: Mapping[str, float] = attrs.field(factory=dict)
    latency: Latency | None = None
    stall: float | None = None

    def over(self, base: FaultRule) -> FaultRule:
        """This rule's settings, falling back to ``base`` for whatever it does not set."""
        return FaultRule(
            {**base.rates, **self.rates},
            self.latency if self.latency is not None else base.latency,
            self.stall if self.stall is not None else base.stall,
        )

    def entries(self, prefix: str) -> list[str]:
        out = [f"{prefix}{kind}={self.rates[kind]:g}" for kind in FAULT_KINDS if kind in self.rates]
        if self.latency is not None:
            out.append(f"{prefix}latency={self.latency}")
        if self.stall is not None:
            out.append(f"{prefix}stall={_format_seconds(self.stall)}")
        return out


def _parse_rate(name: str, value: str) -> float:
    text = value.strip()
    try:
        rate = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ConfigurationError(f"fault {name}={value!r}: not a probability") from None
    if not 0 <= rate <= 1:
        raise ConfigurationError(f"fault {name}={value!r}: a probability must be within 0..1")
    return rate


@attrs.frozen
class FaultSpec:
    """A parsed fault spec: settings for every bizType plus per-selector overrides."""

    default: FaultRule = FaultRule()
    selected: Mapping[str, FaultRule] = attrs.field(factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        """Parse the spec syntax described in this module's docstring; empty or None means no faults."""
        scopes: dict[str, tuple[dict[str, float], list[Latency], list[float]]] = {}
        for raw in (text or "").split(","):
            entry = raw.strip()
            if not entry:
                continue
            key, eq, value = entry.partition("=")
            if not eq:
                raise ConfigurationError(f"fault entry {entry!r} is not [SELECTOR:]NAME=VALUE")
            selector, _, name = key.strip().rpartition(":")
            name = name.strip()
            rates, latency, stall = scopes.setdefault(selector.strip(), ({}, [], []))
            if name in FAULT_KINDS:
                rates[name] = _parse_rate(name, value)
            elif name == "latency":
                latency[:] = [Latency.parse(value)]
            elif name == "stall":
                try:
                    stall[:] = [parse_duration(value)]
                except ValueError:
                    raise ConfigurationError(f"fault stall={value!r}: not a duration") from None
            else:
                known = ", ".join((*FAULT_KINDS, "latency", "stall"))
                raise ConfigurationError(f"unknown fault {name!r} (known: {known})")
        rules = {
            selector: FaultRule(rates, latency[0] if latency else None, stall[0] if stall else None)
            for selector, (rates, latency, stall) in scopes.items()
        }
        spec = cls(rules.pop("", FaultRule()), rules)
        spec._check()
        return spec

    def _check(self) -> None:
        # Check the effective rule, not each selector alone: a bizType named in full also takes the rates of
        # its last-segment selector, so the two can add up to more than 1 together.
        for selector in ("", *self.selected):
            total = sum(self.rule_for(selector).rates.values())
            if total > 1 + 1e-9:
                where = f" for {selector}" if selector else ""
                raise ConfigurationError(f"fault probabilities{where} add up to {total:g}, more than 1")

    def rule_for(self, biz_type: str) -> FaultRule:
        """The effective settings for ``biz_type``."""
        rule = self.default
        short = biz_type.rpartition(".")[2]
        if short in self.selected:
            rule = self.selected[short].over(rule)
        if biz_type != short and biz_type in self.selected:
            rule = self.selected[biz_type].over(rule)
        return rule

    def __str__(self) -> str:
        entries = self.default.entries("")
        for selector, rule in self.selected.items():
            entries.extend(rule.entries(selector + ":"))
        return ",".join(entries)


@attrs.frozen
class FaultPlan:
    """What to do to one request: at most one fault ``kind``, extra ``latency``, and the fault's details."""

    kind: str | None
    latency: float
    variant: float
    """A uniform draw in [0, 1) that picks the variant of the fault (which 5xx, where to cut the JSON)."""
    stall: float


NO_FAULT = FaultPlan(None, 0.0, 0.0, 0.0)


class FaultInjector:
    """Draws a :class:`FaultPlan` per request from one seeded generator."""

    def __init__(
        self, spec: FaultSpec, *, seed: int | None, base_latency: Latency | None, default_stall: float
    ) -> None:
        self._seed = seed
        self._base = FaultRule(latency=base_latency, stall=default_stall)
        self._rng = random.Random(seed)
        self._rules: dict[str, FaultRule] = {}
        self.active = False
        """False when no request can get a fault or latency: :meth:`plan` then draws nothing."""
        self.spec = spec

    @property
    def spec(self) -> FaultSpec:
        """The spec in force."""
        return self._spec

    @spec.setter
    def spec(self, spec: FaultSpec) -> None:
        # Restarting the sequence makes "set a spec, send N requests" reproducible whatever came before.
        self._spec = spec
        self._rules.clear()
        self._rng.seed(self._seed)
        self.active = bool(spec.default.rates or spec.default.latency or spec.selected or self._base.latency)

    def reseed(self) -> None:
        """Start the fault sequence again from the seed."""
        self._rng.seed(self._seed)

    def plan(self, biz_type: str) -> FaultPlan:
        """Draw the faults of the next request to ``biz_type``."""
        if not self.active:
            return NO_FAULT
        rule = self._rules.get(biz_type)
        if rule is None:
            rule = self._rules[biz_type] = self._spec.rule_for(biz_type).over(self._base)
        kind = None
        if rule.rates:
            draw = self._rng.random()
            for name in FAULT_KINDS:
                draw -= rule.rates.get(name, 0.0)
                if draw < 0:
                    kind = name
                    break
        latency = self._rng.uniform(rule.latency.low, rule.latency.high) if rule.latency else 0.0
        if kind is None and not latency:
            return NO_FAULT
        variant = self._rng.random() if kind is not None else 0.0
        assert rule.stall is not None  # the base rule always sets it
        return FaultPlan(kind, latency, variant, rule.stall)
