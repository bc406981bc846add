"""The response envelope ``{code, ok, fail, msg, msgParams, bizCode, tm, trace, data}`` (reference §3)."""

from __future__ import annotations

import json
from typing import Any

from .codes import SUCCESS, message_for

__all__ = ["encode_envelope"]


def encode_envelope(
    *,
    trace: str,
    tm: int,
    code: str = SUCCESS,
    data: Any = None,
    msg: str | None = None,
    msg_params: str | None = None,
) -> bytes:
    """Serialise one envelope. ``tm`` is the processing time in milliseconds. A success without ``data``
    (``None``) has no ``data`` key, as the documented samples of cancellation and account changes show."""
    ok = code == SUCCESS
    envelope = {
        "code": code,
        "ok": ok,
        "fail": not ok,
        "msg": msg if msg is not None else message_for(code),
        "msgParams": msg_params,
        "bizCode": "",
        "tm": tm,
        "trace": trace,
    }
    if data is not None or not ok:
        envelope["data"] = data
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
