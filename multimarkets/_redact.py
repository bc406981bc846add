"""Secrets we sent, kept out of what the server says back.

A server (or a proxy, or a firewall page) may echo a request in its answer: the ``signature`` header, the Manager
``token``, the ``appSecret`` of the auth call, the MD5 ``signature`` of a Manager body, a registration's password
hash, an exchange account's keys. Its text reaches the errors we raise (``msg``, the body excerpt, aiohttp's
description of a broken answer) and, through them, logs and reports. Before an attempt's error leaves the
request loop, every secret value that attempt sent is replaced by :data:`MARKER` in every text the error
carries, in any case (a server may upper-case what it quotes), and so is the start of one the server cut short.
Only failures pay for this: the success path never looks at it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple
from urllib.parse import quote, quote_plus

__all__ = [
    "CUT_START",
    "MARKER",
    "SECRET_FIELDS",
    "SECRET_HEADERS",
    "SHORT_SECRET",
    "redact_error",
    "secret_values",
    "url_error",
    "without_password",
]

MARKER = "<redacted>"
"""What a secret value is replaced with."""

SECRET_HEADERS = frozenset({"apiKey", "signature", "token"})
"""Request headers whose values are secret (the API key is shown masked in reprs, so never in full here)."""

SECRET_FIELDS = frozenset(
    {
        "accountApiKey",
        "accountSecretKey",
        "apiKey",
        "appSecret",
        "certificate",
        "passphrase",
        "pwd",
        "signature",
    }
)
"""Request body fields whose values are secret: those our request models keep out of their reprs, the Manager
``appSecret`` and body ``signature``."""


def secret_values(headers: Mapping[str, str], body: Any) -> list[str]:
    """The values of :data:`SECRET_HEADERS` in ``headers`` and of :data:`SECRET_FIELDS` anywhere in ``body``."""
    found = [value for name, value in headers.items() if name in SECRET_HEADERS]
    todo = [body]
    while todo:
        current = todo.pop()
        if isinstance(current, Mapping):
            for name, value in current.items():
                if name in SECRET_FIELDS and isinstance(value, str):
                    found.append(value)
                else:
                    todo.append(value)
        elif isinstance(current, list | tuple):
            todo.extend(current)
    return found


SHORT_SECRET = 8
"""Characters under which a secret is replaced only where it stands alone, not inside a longer word or number: a
one-letter passphrase would otherwise take that letter out of the whole message. An echo shows a value whole,
between quotes, spaces or ``=`` and ``&``; long values (keys, signatures, tokens) are replaced wherever they are."""

CUT_START = 12
"""Characters from which the start of a long secret, cut short by the server that quotes it, is replaced: fewer tell
little of a key (as many as :func:`~multimarkets.config.masked` would show with its last four), and a start of 8
may be an ordinary word of the message ("exchange" of a key ``exchange-...``)."""

_ALONE = "(?<![0-9A-Za-z]){}(?![0-9A-Za-z])"
_STARTS = "(?<![0-9A-Za-z]){}"


def _spellings(secret: str) -> set[str]:
    """``secret`` as a server may echo it: as is, escaped in a JSON string (``\\uXXXX``, ``\\/``) once or twice (the
    request body quoted as a JSON string inside a JSON message: ``\\\\\\"``), URL-encoded (a gateway quoting the
    request as a query string: ``%40``, ``+``, ``%2f``), HTML-escaped (an error page quoting it: ``&amp;``,
    ``&quot;``, ``&#x27;``), and with its whitespace collapsed as a body excerpt collapses it."""
    spellings = {secret, *_in_json(secret)}
    spellings |= {twice for once in spellings - {secret} for twice in _in_json(once)}
    encoded = {quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/")}
    spellings |= encoded | {re.sub("%[0-9A-F]{2}", lambda escape: escape[0].lower(), form) for form in encoded}
    for form in list(spellings):
        spellings |= {html.escape(form, quote=False), escaped := html.escape(form), escaped.replace("&#x27;", "&#39;")}
    spellings.add(" ".join(secret.split()))
    return {spelling for spelling in spellings if spelling}


def _in_json(text: str) -> set[str]:
    """``text`` as the inside of a JSON string: ASCII-only or not, ``/`` escaped or not."""
    forms = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    return forms | {form.replace("/", "\\/") for form in forms} | {text.replace("/", "\\/")}


class _Redactor(NamedTuple):
    pattern: re.Pattern[str]
    """Every spelling of every secret, whole."""
    spellings: list[str]
    heads: re.Pattern[str] | None
    """The first :data:`CUT_START` characters of every spelling of a long secret, where a word starts."""
    long: list[str]

    def clean(self, text: str, *, excerpt: bool) -> str:
        text = self.pattern.sub(MARKER, text)
        if self.heads is not None:
            text = _cut_echoes(text, self.heads, self.long)
        if excerpt and text.endswith("..."):
            # A cut excerpt may end inside a secret: drop whatever start of one it ends with.
            body = text[:-3]
            for spelling in self.spellings:
                for length in range(len(spelling) - 1, 0, -1):
                    if body.endswith(spelling[:length]):
                        body = body[:-length]
                        break
            text = body + "..."
        return text


def _cut_echoes(text: str, heads: re.Pattern[str], spellings: list[str]) -> str:
    """``text`` with every start of a long secret that a server cut short (its first :data:`CUT_START` characters
    or more, in any case) replaced, as far as it goes on matching the secret."""
    parts: list[str] = []
    done = 0
    for found in heads.finditer(text):
        start = found.start()
        if start < done:
            continue
        end = start + max(_matching(text, start, spelling) for spelling in spellings)
        if end - start >= CUT_START:
            parts += (text[done:start], MARKER)
            done = end
    return "".join(parts) + text[done:] if parts else text


def _matching(text: str, start: int, spelling: str) -> int:
    """How many characters of ``text`` from ``start`` match the start of ``spelling``, ignoring case."""
    length = 0
    for ours, theirs in zip(spelling, text[start:], strict=False):
        if ours != theirs and ours.lower() != theirs.lower():
            break
        length += 1
    return length


_CUT = frozenset({"body_excerpt", "trace"})
"""The texts that may come cut (a server's trace is capped where it is read): a cut may end inside a secret."""


def redact_error(error: BaseException, secrets: Iterable[str]) -> None:
    """Replace each of ``secrets`` by :data:`MARKER` in the texts ``error`` carries (its ``args`` and every text
    attribute: message, code, body excerpt, trace, ...), in place, in any case (a server may upper-case what it
    quotes: an MD5 in hex reads the same); one shorter than :data:`SHORT_SECRET` where it stands alone; and the
    start of a longer one, cut short by the server, from its first :data:`CUT_START` characters on."""
    alone: dict[str, bool] = {}
    for secret in filter(None, secrets):
        for spelling in _spellings(secret):  # a spelling two secrets share is replaced as the longer one's
            alone[spelling] = alone.get(spelling, True) and len(secret) < SHORT_SECRET
    if not alone:
        return
    spellings = sorted(alone, key=len, reverse=True)  # longest first: a secret that contains another is replaced whole
    pattern = re.compile(
        "|".join(
            _ALONE.format(re.escape(spelling)) if alone[spelling] else re.escape(spelling) for spelling in spellings
        ),
        re.IGNORECASE,
    )
    # A cut echo starts where a word does: the first characters of a long secret, wherever they stand.
    long = [spelling for spelling in spellings if len(spelling) >= CUT_START]
    heads = (
        re.compile("|".join(_STARTS.format(re.escape(spelling[:CUT_START])) for spelling in long), re.IGNORECASE)
        if long
        else None
    )
    redactor = _Redactor(pattern, spellings, heads, long)
    error.args = tuple(redactor.clean(arg, excerpt=False) if isinstance(arg, str) else arg for arg in error.args)
    for name, value in list(vars(error).items()):
        if isinstance(value, str):
            setattr(error, name, redactor.clean(value, excerpt=name in _CUT))


def without_password(url: str) -> str:
    """``url`` for reprs and errors: its credentials (``user:password@``) shown as ``***@``, a ``password`` in its
    query (which redis-py reads) as ``password=***``; a text that is not ``scheme://...`` (a password pasted in its
    place, a scheme missing a slash) is not shown at all."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<not a URL, not shown>"
    credentials, at, host = rest.rpartition("@")
    shown = f"{scheme}{sep}***@{host}" if at and credentials else url
    return _QUERY_PASSWORD.sub(r"\1***", shown)


_QUERY_PASSWORD = re.compile(r"([?&;]password=)[^&;#]*", re.IGNORECASE)


def url_error(error: Exception, url: str) -> str:
    """The text of ``error``, raised reading ``url``, with each quoted part of the URL's credentials shown as
    ``'***'``: an unencoded ``/`` in a password makes urllib quote the part before it as the port."""
    credentials = url.partition("://")[2].rpartition("@")[0]
    return re.sub(r"'([^']+)'", lambda quoted: "'***'" if quoted[1] in credentials else quoted[0], str(error))
