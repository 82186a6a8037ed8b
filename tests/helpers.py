"""What several test modules need, in one copy: building streams, the completion they assemble
to, how messages show a string, reads and memory.

Import it as ``from helpers import ...``: pytest puts this folder on ``sys.path`` for its test
modules (it has no ``__init__.py``; ``import fuzz`` works the same way), whether the suite runs
as ``python -m pytest`` (the README's command, and ``.ci/run``) or as ``pytest``.

The streams are built from :func:`chunk` objects with one id, created and model throughout
(``ID``, ``CREATED``, ``MODEL``), so that expected values can be written by hand from them
(:func:`completion`) and byte offsets computed from the bytes a test builds.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

# ---------------------------------------------------------------------------------------------
# Building streams.

ID = "chatcmpl-s1"
CREATED = 1_700_000_000
MODEL = "m-1"


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, index: int = 0, **top: Any
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object with one choice; ``top`` adds or replaces top-level
    keys (``usage=...``, ``id=...``)."""
    obj: dict[str, Any] = {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"index": index, "delta": delta or {}, "finish_reason": finish}],
    }
    obj.update(top)
    return obj


def compact(obj: Any) -> str:
    """``obj`` as compact JSON (no spaces), as servers send it."""
    return json.dumps(obj, separators=(",", ":"))


def data(obj: Any) -> str:
    """One event block carrying ``obj`` as compact JSON (a string as it is)."""
    return "data: " + (obj if type(obj) is str else compact(obj)) + "\n\n"


HELLO = data(chunk({"role": "assistant", "content": "Hi"}))
BANG = data(chunk({"content": "!"}))
STOP = data(chunk({}, "stop"))
DONE = "data: [DONE]\n\n"


def sse(*chunks: dict[str, Any]) -> bytes:
    """A whole stream: an event for each chunk, then ``[DONE]``."""
    return ("".join(data(c) for c in chunks) + DONE).encode()


# ---------------------------------------------------------------------------------------------
# What such streams assemble to (the README's "Output shape").


def message(content: str | None = "Hi", **more: Any) -> dict[str, Any]:
    """The ``to_dict()`` of the assistant message of a :func:`chunk` stream."""
    return {"role": "assistant", "content": content, "refusal": None, **more}


def completion(content: str | None = "Hi", finish: str | None = None, **top: Any) -> dict[str, Any]:
    """The ``to_dict()`` of a one-choice completion built from :func:`chunk` chunks; ``top``
    adds or replaces top-level keys."""
    out: dict[str, Any] = {
        "id": ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": None,
        "service_tier": None,
        "choices": [
            {"index": 0, "message": message(content), "finish_reason": finish, "logprobs": None}
        ],
        "usage": None,
    }
    out.update(top)
    return out


# The to_dict() of a completion no chunk reached: every top-level field unknown.
EMPTY_COMPLETION = {
    "id": None,
    "object": "chat.completion",
    "created": None,
    "model": None,
    "system_fingerprint": None,
    "service_tier": None,
    "choices": [],
    "usage": None,
}


# ---------------------------------------------------------------------------------------------
# Messages, reads, memory.


def repr_cut(text: str) -> str:
    """How a message shows a string (``_errors.shown``: ``reprlib`` with ``maxstring=60``): its
    repr if that fits in 60 characters, else the repr of its first 28 and last 29 characters,
    cut to those 28 and 29 with "..." between."""
    if len(repr(text[:60])) <= 60:
        return repr(text)
    r = repr(text[:28] + text[len(text) - 29 :])
    return r[:28] + "..." + r[len(r) - 29 :]


def reads_of(body: bytes, size: int) -> list[bytes]:
    """``body`` cut into reads of ``size`` bytes (the last may be shorter; an empty body is
    one empty read, so that a source always yields something)."""
    return [body[i : i + size] for i in range(0, len(body), size)] or [b""]


async def agen(reads: Iterable[Any]) -> AsyncIterator[Any]:
    """``reads`` as an async iterable (a response's ``aiter_bytes()``)."""
    for read in reads:
        yield read


def traced(run: Callable[[], T]) -> tuple[T, int]:
    """``run()``'s result and the peak of memory it allocated (tracemalloc), in bytes."""
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
