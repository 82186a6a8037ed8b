# SPDX-License-Identifier: MIT
"""The floor: the least work that still gives each stream kind's result, with no validation.

Split the reads on blank lines, strip ``data: ``, ``json.loads``, collect the pieces the kind
needs in lists and join them once. Nothing else: no SSE field parsing, no CR handling, no
checks, no typed objects. It is only correct for well-formed OpenAI-shaped bodies like the ones
``streams.py`` writes, which is the point: it is what the cost of "barely more than parsing the
JSON" is measured against.

Written as plainly and as fast as we know how: one loop per kind (a generator between splitting
and collecting cost ~2% more), and ``json.loads`` on ``str`` (decoding first is ~15% faster than
handing it ``bytes``, which makes it sniff the encoding).

``loads`` is ``json.loads`` for the floor proper; run.py also measures, for information, the
same floor with the C scanner behind ``json.loads`` called directly (what chunkstream does since
its JSON fast path), which skips ``json.loads``'s Python wrapper.

Each function returns the kind's *result*, the same shape ``run.py``'s extractors take from
``chunkstream.assemble()``:

- text: the content string;
- tools: ``[(id, name, arguments), ...]`` by tool-call index;
- n4: ``[content, ...]`` by choice index;
- logprobs: ``(content, [token object, ...])``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["FLOORS", "floor_logprobs", "floor_n4", "floor_text", "floor_tools", "scan_loads"]

_DONE = "[DONE]"
_scan_once = json.JSONDecoder().scan_once


def scan_loads(text: str) -> Any:
    """``json.loads`` without its Python wrapper: only for data that is one JSON value with no
    surrounding whitespace, as in the generated streams."""
    return _scan_once(text, 0)[0]


def floor_text(reads: Iterable[bytes], loads: Callable[[str], Any] = json.loads) -> str:
    parts: list[str] = []
    buf = b""
    for read in reads:
        *events, buf = (buf + read).split(b"\n\n")
        for event in events:
            data = event[6:].decode()
            if data == _DONE:
                return "".join(parts)
            for choice in loads(data)["choices"]:
                content = choice["delta"].get("content")
                if content:
                    parts.append(content)
    return "".join(parts)


def floor_tools(reads: Iterable[bytes], loads: Callable[[str], Any] = json.loads) -> list[Any]:
    calls: dict[int, tuple[str | None, str | None, list[str]]] = {}
    buf = b""
    for read in reads:
        *events, buf = (buf + read).split(b"\n\n")
        for event in events:
            data = event[6:].decode()
            if data == _DONE:
                return _calls(calls)
            for choice in loads(data)["choices"]:
                for call in choice["delta"].get("tool_calls") or ():
                    fn = call["function"]
                    held = calls.get(call["index"])
                    if held is None:
                        held = calls[call["index"]] = (call.get("id"), fn.get("name"), [])
                    held[2].append(fn["arguments"])
    return _calls(calls)


def _calls(calls: dict[int, tuple[str | None, str | None, list[str]]]) -> list[Any]:
    return [(i, name, "".join(parts)) for _, (i, name, parts) in sorted(calls.items())]


def floor_n4(reads: Iterable[bytes], loads: Callable[[str], Any] = json.loads) -> list[str]:
    texts: dict[int, list[str]] = {}
    buf = b""
    for read in reads:
        *events, buf = (buf + read).split(b"\n\n")
        for event in events:
            data = event[6:].decode()
            if data == _DONE:
                return _texts(texts)
            for choice in loads(data)["choices"]:
                content = choice["delta"].get("content")
                if content:
                    parts = texts.get(choice["index"])
                    if parts is None:
                        texts[choice["index"]] = [content]
                    else:
                        parts.append(content)
    return _texts(texts)


def _texts(texts: dict[int, list[str]]) -> list[str]:
    return ["".join(parts) for _, parts in sorted(texts.items())]


def floor_logprobs(
    reads: Iterable[bytes], loads: Callable[[str], Any] = json.loads
) -> tuple[str, list[Any]]:
    parts: list[str] = []
    tokens: list[Any] = []
    buf = b""
    for read in reads:
        *events, buf = (buf + read).split(b"\n\n")
        for event in events:
            data = event[6:].decode()
            if data == _DONE:
                return "".join(parts), tokens
            for choice in loads(data)["choices"]:
                content = choice["delta"].get("content")
                if content:
                    parts.append(content)
                lp = choice["logprobs"]
                if lp:
                    tokens.extend(lp["content"])
    return "".join(parts), tokens


FLOORS: dict[str, Callable[[Iterable[bytes]], Any]] = {
    "text": floor_text,
    "tools": floor_tools,
    "n4": floor_n4,
    "logprobs": floor_logprobs,
}
