"""The HTTP answers a notification receiver sends back: the envelope the service expects (reference §7.2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from ..envelope import SUCCESS_CODE
from ..trace import new_trace

__all__ = ["WebhookResponse", "acknowledge", "refuse"]


class WebhookResponse(NamedTuple):
    """Status, headers and body to answer a notification with; unpacks as ``status, headers, body``."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def _reply(status: int, *, code: str, msg: str, data: bool, trace: str | None, tm: int) -> WebhookResponse:
    trace = trace or new_trace()
    ok = code == SUCCESS_CODE
    envelope = {
        "code": code,
        "msg": msg,
        "ok": ok,
        "fail": not ok,
        "data": data,
        "trace": trace,
        "bizCode": "",
        "msgParams": None,
        "tm": tm,
    }
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return WebhookResponse(status, {"Content-Type": "application/json", "trace": trace}, body)


def acknowledge(trace: str | None = None, *, tm: int = 0) -> WebhookResponse:
    """HTTP 200 with ``{"code": "0", "ok": true, "data": true, ...}`` echoing the delivery's ``trace``.

    ``tm`` is the processing time in milliseconds; a missing ``trace`` is replaced by a fresh one.
    """
    return _reply(200, code=SUCCESS_CODE, msg="Success", data=True, trace=trace, tm=tm)


def refuse(status: int, code: str, msg: str, trace: str | None = None, *, tm: int = 0) -> WebhookResponse:
    """An error envelope (``ok`` false, ``data`` false) with HTTP ``status``, so that the service sees a failure."""
    return _reply(status, code=code, msg=msg, data=False, trace=trace, tm=tm)
