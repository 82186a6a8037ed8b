#!/usr/bin/env python
"""Coverage-guided fuzz harness: chunkstream on untrusted bytes (README, "Untrusted input").

Run it from the repository root::

    pip install atheris
    python tests/fuzz.py --target sse -max_total_time=300
    python tests/fuzz.py --target models -max_total_time=300
    python tests/fuzz.py --target assemble -max_total_time=300
    python tests/fuzz.py -max_total_time=300  # the three targets in turn
    python tests/fuzz.py --target assemble crash-1a2b...   # replay one input
    python tests/fuzz.py --target assemble --templates=off -max_total_time=300

Everything after the options goes to libFuzzer (``-runs=``, ``-jobs=``, corpus directories, a
crash file to replay). The seed corpus is the project's fixtures and the recorded streams of
``/work/shared/corpus`` (``../shared/corpus`` from the repository root), cut to a few kB each.
Without atheris the same target functions run under hypothesis (random, not coverage-guided)
for ``-max_total_time`` seconds (default 60) or ``-runs`` inputs, and say so on stderr.

Each target is a function of the input bytes that raises ``AssertionError`` (or lets a foreign
exception through) when a promise is broken; ``tests/test_fuzz.py`` drives the same functions
with hypothesis in the normal test run.

- ``sse``: ``SSEDecoder`` against a literal reading of WHATWG HTML 9.2.6 over the whole input
  (events, byte offsets, last event ID, retry, ignored lines, what ``close()`` held back,
  which events broke ``max_event_bytes``), fed whole, byte by byte, cut after every CR and at
  cuts derived from the input. Only ``SSEError`` may escape ``feed()``.
- ``models``: ``ChatCompletionChunk.from_dict`` (and every chunk-side class on the matching
  sub-objects) on the input parsed as JSON: only ``ChunkError`` escapes, a valid value
  round-trips (``to_dict() == input``), the one-pass checking builders agree with the
  validator plus the generic builder, and an ``Accumulator`` fed the chunk raises nothing but
  chunkstream's errors. Errors pickle and their messages stay short.
- ``assemble``: ``assemble`` (strict and lenient), ``iter_chunks``, ``Assembler`` (with a
  snapshot after every read), ``ChunkDecoder``, ``aassemble`` and ``aiter_chunks`` on the raw
  bytes, whole, at cuts derived from the input and in tiny reads (all of 1, 2 or 3 bytes, or
  mixed), with the fast paths on and off, under the default limits or small ones drawn from
  the input (``max_event_bytes`` 1 to 600 or none, ``max_choices`` and ``max_tool_calls`` 1
  to 3, ``max_warnings`` 0 to 3; the ``models`` target's Accumulator too): only
  ``ChunkstreamError`` escapes, lenient mode raises only for a body that is no event stream,
  every strict error carries ``partial``, every result is equal whatever the cuts and
  whichever path (the template path on and off too: ``--templates=off`` runs the target with
  it off and compares with it on; snapshots that reuse what they kept and snapshots captured
  anew, after every read), every chunk number is merged or warned about (or counted past
  ``max_warnings``), bytes held back at the end are reported, lenient ``iter_chunks`` fed
  to an ``Accumulator`` gives the completion ``assemble`` gives.

The custom mutator makes structure-aware changes half of the time: it parses an event's JSON
and puts hostile values in it (``-1``, ``10**15``, ``1e999``, ``NaN``, 5000-digit integers,
deep nesting, lone surrogates, NULs, wrong shapes), or moves whole events and line endings.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import os
import pickle
import random
import re
import sys
import tempfile
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# The shared corpus beside the checkout, or where CHUNKSTREAM_CORPUS says.
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")

try:
    import atheris  # type: ignore[import-not-found]
except ImportError:  # the hypothesis fallback below
    atheris = None

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

if atheris is not None and __name__ == "__main__":
    with atheris.instrument_imports(include=["chunkstream"]):
        import chunkstream
        from chunkstream import _accumulate, _models, _schema, _sse, _stream
else:
    import chunkstream
    from chunkstream import _accumulate, _models, _schema, _sse, _stream

from chunkstream import (  # noqa: E402
    Accumulator,
    Assembler,
    ChatCompletion,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    ChunkDecoder,
    ChunkError,
    ChunkstreamError,
    FunctionDelta,
    SSEDecoder,
    SSEError,
    ToolCallDelta,
    UpstreamError,
    Usage,
    iter_chunks,
    iter_events,
)

TARGETS = ("sse", "models", "assemble")
DEFAULT_LIMIT = chunkstream.DEFAULT_MAX_EVENT_BYTES
MESSAGE_LIMIT = 400  # no error message or warning may be longer (values are cut short)
BOM = b"\xef\xbb\xbf"


# ---------------------------------------------------------------------------------------------
# Comparing results: type-strict, NaN equal to NaN, iterative (results may nest deeply).


def same(a: Any, b: Any) -> bool:
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if type(x) is dict:
            if x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif type(x) is list or type(x) is tuple:
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif type(x) is float:
            if not (x == y or (math.isnan(x) and math.isnan(y))):
                return False
        elif x != y:
            return False
    return True


def depth(value: Any) -> int:
    """Nesting depth of objects and lists (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if type(v) is dict:
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v.values())
        elif type(v) is list or type(v) is tuple:
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v)
    return deepest


def model_view(value: Any) -> Any:
    """Every field of a model (``_absent`` included), nested models opened."""
    if isinstance(value, _models._Model):
        names = [f for f in type(value).__dataclass_fields__]  # type: ignore[attr-defined]
        view = [type(value).__name__] + [[n, model_view(getattr(value, n))] for n in names]
        for item in view[1:]:
            if item[0] == "_absent" and item[1] is not None:
                # The checking builders' depth flag (_NESTS) is not data: the general
                # builders do not set it, and nothing but the stream layer reads it.
                item[1] &= ~_models.NESTS
        return view
    if type(value) is tuple:
        return [model_view(v) for v in value]
    return value


def warning_view(w: Any) -> list[Any]:
    return [w.kind, w.message, w.chunk_index, w.byte_offset, w.path, w.field]


_REACHED = re.compile(
    r"it reached \d+ bytes and was skipped(; \d+ more oversized event\(s\) in "
    r"the same read were skipped too)?"
)


def error_view(exc: ChunkstreamError) -> list[Any]:
    """An error as data. An SSEError's ``size`` (and the "it reached N bytes" and "N more"
    of its message) say where the decoder noticed, which depends on the cuts by design
    (SSEDecoder's docstring); only ``size > limit`` is kept of them."""
    attrs = dict(vars(exc))
    partial = attrs.pop("partial", None)
    chunks = attrs.pop("chunks", [])
    events = attrs.pop("events", None)
    text = str(exc)
    if isinstance(exc, SSEError):
        assert exc.size > exc.limit, (exc.size, exc.limit)
        assert exc.skipped[0] == exc.byte_offset and exc.skipped == sorted(set(exc.skipped))
        del attrs["size"], attrs["skipped"]
        text = _REACHED.sub("it reached N bytes and was skipped", text)
        attrs["reason"] = _REACHED.sub("it reached N bytes and was skipped", attrs["reason"])
        events = None  # depends on the read that broke the limit
    assert len(str(exc)) < MESSAGE_LIMIT, str(exc)
    assert exc.args == (str(exc),), exc.args
    return [
        "error",
        type(exc).__name__,
        text,
        sorted(attrs.items()),
        None if partial is None else completion_view(partial),
        [c.to_dict() for c in chunks],
        None if events is None else [(e.event, e.data, e.id, e.retry, e.offset) for e in events],
    ]


def completion_view(c: ChatCompletion) -> list[Any]:
    for w in c.warnings:
        assert len(str(w)) < MESSAGE_LIMIT, str(w)
    return ["ok", c.to_dict(), [warning_view(w) for w in c.warnings]]


def check_pickles(exc: ChunkstreamError) -> None:
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc)
    assert same(error_view(back), error_view(exc))


# ---------------------------------------------------------------------------------------------
# Cutting an input into reads, at positions derived from the input itself.


def rng_for(data: bytes) -> random.Random:
    return random.Random(zlib.crc32(data))


def cut(data: bytes, points: list[int]) -> list[bytes]:
    points = sorted({p for p in points if 0 < p < len(data)})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def splits(data: bytes, rng: random.Random, tiny_up_to: int) -> list[list[bytes]]:
    """Other ways to read ``data``: at a few derived cuts, right after every CR (half of a
    CRLF in each read), and in tiny reads: all of 1, all of 2 or all of 3 bytes, or of 1 to 3
    bytes each (drawn from the input). A small input is read that way whole; a larger one
    only in a window of ``tiny_up_to // 4`` bytes somewhere in it, the rest in two reads."""
    out = []
    if len(data) > 1:
        k = rng.randint(1, min(6, len(data) - 1))
        out.append(cut(data, rng.sample(range(1, len(data)), k)))
    if b"\r" in data:
        out.append(cut(data, [m.end() for m in re.finditer(rb"\r", data)]))
    if len(data) > 1:
        start, stop = 0, len(data)
        if len(data) > tiny_up_to:
            start = rng.randrange(len(data) - tiny_up_to // 4)
            stop = start + tiny_up_to // 4
        size = rng.choice((1, 2, 3, 0))  # 0: each read 1 to 3 bytes
        pos, points = start, [start]
        while pos < stop:
            pos += size or rng.randint(1, 3)
            points.append(pos)
        out.append(cut(data, points))
    return out


# ---------------------------------------------------------------------------------------------
# Target "sse": the decoder against the spec read literally.

_LINE_END = re.compile(rb"\r\n|\r|\n")
_FIELDS = (b"data", b"event", b"id", b"retry")


def _looks_meant(name: bytes, value: bytes) -> bool:
    """The documented rule for an ignored line worth reporting (SSEDecoder._unknown): the
    name (holding no '"') has ASCII letters, terminal escapes (CSI, OSC) removed, lowercased,
    that are a field name or "error"; or the name, past whitespace, controls and non-ASCII
    bytes, starts with "data" and a space, tab, "{" or "["; or the value, past those bytes,
    starts with "data:"; or the line's first 4096 bytes hold "data:", at most one space, then
    "{" or "["."""
    plain = re.sub(
        rb"\x1b(\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\][^\x07\x1b]*(\x07|\x1b\\)?|[\x40-\x5f]?)",
        b"",
        name,
    )
    letters = re.sub(rb"[^A-Za-z]", b"", plain)
    if b'"' not in name and letters.lower() in (*_FIELDS, b"error"):
        return True
    junk = rb"^[\x00-\x20\x7f-\xff]*"
    if re.match(junk + rb"data[ \t{\[]", plain):
        return True
    if re.sub(junk, b"", value).startswith(b"data:"):
        return True
    line = name + b":" + value  # the colon only matters when one was there
    return re.search(rb"data: ?[{\[]", line[:4096]) is not None


def sse_reference(body: bytes, limit: int | None) -> dict[str, Any]:
    """WHATWG HTML 9.2.6, whole input at once, plus chunkstream's documented additions:
    ``max_event_bytes`` (a block's lines counted without line endings; from the line that
    breaks it the block is skipped), the event's block offset and retry, ``held_back``, and
    the ignored lines that look meant as a field (``_looks_meant``; at most 100)."""
    pos = 3 if body.startswith(BOM) else 0
    events: list[tuple[Any, ...]] = []
    oversized: list[int] = []
    ignored: list[tuple[int, str]] = []
    last_id: str | None = None
    retry: int | None = None
    data: list[bytes] = []
    etype = b""
    block_retry: int | None = None
    start: int | None = None
    size = 0
    skipping = False

    def event() -> tuple[Any, ...]:
        return (
            etype.decode("utf-8", "replace") or "message",
            b"\n".join(data).decode("utf-8", "replace"),
            last_id,
            block_retry,
            start,
        )

    lines = []
    for m in _LINE_END.finditer(body, pos):
        lines.append((pos, body[pos : m.start()]))
        pos = m.end()
    partial = (pos, body[pos:]) if pos < len(body) else None
    for at, line in lines:
        if not line:  # a blank line dispatches
            if data and not skipping:
                events.append(event())
            data, etype, block_retry, start, size, skipping = [], b"", None, None, 0, False
            continue
        if start is None:
            start = at
        if skipping:
            continue
        if limit is not None:
            size += len(line)
            if size > limit:
                oversized.append(start)
                skipping, data = True, []
                continue
        if line[:1] == b":":
            continue
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            etype = value
        elif name == b"id":
            if b"\x00" not in value:
                last_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            # Only ASCII digits; the decoder's bound: the value fits an unsigned 64-bit integer
            # (stripped of leading zeros first: int() refuses more than 4300 digits).
            digits = value.lstrip(b"0") or b"0"
            if re.fullmatch(rb"[0-9]+", value) and len(digits) <= 20 and int(digits) < 2**64:
                retry = block_retry = int(digits)
        elif _looks_meant(name, value) and len(ignored) < 100:
            ignored.append((at, name.decode("utf-8", "replace")))
    held = None
    if partial is not None:
        at, line = partial
        if start is None:
            start = at
        if not skipping and limit is not None and size + len(line) > limit:
            oversized.append(start)
        held = (start, len(body) - start, True, None)
    elif start is not None:
        kept = event() if data and not skipping else None
        held = (start, len(body) - start, False, kept)
    return {
        "events": events,
        "oversized": oversized,
        "ignored": ignored,
        "last_id": last_id,
        "retry": retry,
        "held": held,
    }


def _sse_run(reads: list[bytes], limit: int | None) -> dict[str, Any]:
    decoder = SSEDecoder(limit)
    events = []
    raised = []  # the byte offsets of the events skipped for their size
    for read in reads:
        try:
            got = decoder.feed(read)
        except SSEError as exc:
            assert limit is not None and exc.limit == limit and exc.size > limit
            m = re.fullmatch(
                rf"event exceeds max_event_bytes \({limit}\): it reached {exc.size} bytes and "
                r"was skipped(?:; (\d+) more oversized event\(s\) in the same read were "
                r"skipped too)?",
                str(exc.reason),
            )
            assert m is not None, str(exc)
            assert str(exc) == f"{exc.reason} (byte {exc.byte_offset})"
            assert len(exc.skipped) == 1 + int(m.group(1) or 0)
            assert exc.skipped[0] == exc.byte_offset
            raised.extend(exc.skipped)
            check_pickles(exc)
            got = exc.events
        events.extend((e.event, e.data, e.id, e.retry, e.offset) for e in got)
    assert decoder.close() == []
    held = decoder.held_back
    return {
        "events": events,
        "raised": raised,
        "ignored": decoder.ignored_lines,
        "last_id": decoder.last_event_id,
        "retry": decoder.retry,
        "dispatched": decoder.events_dispatched,
        "held": None
        if held is None
        else (
            held.offset,
            held.size,
            held.line_cut,
            None
            if held.event is None
            else (
                held.event.event,
                held.event.data,
                held.event.id,
                held.event.retry,
                held.event.offset,
            ),
        ),
    }


def check_sse(data: bytes) -> None:
    rng = rng_for(data)
    limit = rng.choice((None, DEFAULT_LIMIT, rng.randint(1, 64), rng.randint(1, 3)))
    want = sse_reference(data, limit)
    for reads in [[data], *splits(data, rng, tiny_up_to=1024)]:
        got = _sse_run(reads, limit)
        assert got["events"] == want["events"], (reads, got["events"], want["events"])
        assert got["dispatched"] == len(want["events"])
        assert got["held"] == want["held"], (got["held"], want["held"])
        assert got["last_id"] == want["last_id"]
        assert got["retry"] == want["retry"]
        assert got["ignored"] == want["ignored"]
        # Every oversized event is reported once (each error lists those its read skipped).
        assert got["raised"] == want["oversized"], (got["raised"], want["oversized"])
    if limit is None:
        events = [(e.event, e.data, e.id, e.retry, e.offset) for e in iter_events([data])]
        assert events == want["events"]


# ---------------------------------------------------------------------------------------------
# Limits: the defaults, or small ones drawn from the input.


Limits = dict[str, Any]  # Assembler's max_* keyword arguments

DEFAULT_LIMITS: Limits = {
    "max_event_bytes": DEFAULT_LIMIT,
    "max_choices": chunkstream.DEFAULT_MAX_CHOICES,
    "max_tool_calls": chunkstream.DEFAULT_MAX_TOOL_CALLS,
    "max_warnings": chunkstream.DEFAULT_MAX_WARNINGS,
}


def limits_for(rng: random.Random) -> Limits:
    """The limits a run uses, drawn from the input: the defaults (or a small max_event_bytes)
    half of the time, else small ones that a few events, choices, tool calls or warnings
    reach."""
    if rng.random() < 0.5:
        size = DEFAULT_LIMIT if rng.random() < 0.6 else rng.randint(1, 600)
        return {**DEFAULT_LIMITS, "max_event_bytes": size}
    return {
        "max_event_bytes": rng.choice((DEFAULT_LIMIT, None, rng.randint(1, 600))),
        "max_choices": rng.randint(1, 3),
        "max_tool_calls": rng.randint(1, 3),
        "max_warnings": rng.randint(0, 3),
    }


def chunk_limits(limits: Limits) -> Limits:
    """The limits the chunk-level entry points take (no choices or tool calls are held)."""
    return {"max_event_bytes": limits["max_event_bytes"], "max_warnings": limits["max_warnings"]}


def accumulator_limits(limits: Limits) -> Limits:
    return {k: v for k, v in limits.items() if k != "max_event_bytes"}


# ---------------------------------------------------------------------------------------------
# Switching the fast paths off (as tests/test_fastpath.py does, plus the SSE block taker, the
# direct JSON scanner and the one-pass checking builders).


def _generic_builders() -> dict[type, Callable[[dict[str, Any]], Any]]:
    """Trusting builders that read the schema table as they go (an interpreter of
    ``_schema``, written apart from the generator): the reference the generated checking
    builders are held to."""
    classes = {shape.name: getattr(_models, shape.name) for shape in _schema.CHUNK_SHAPES}
    builders: dict[str, Callable[[dict[str, Any]], Any]] = {}

    def value_of(field: Any, value: Any) -> Any:
        if value is None:
            return None
        if field.type == "ints" or (field.type == "content" and type(value) is list):
            return tuple(value)
        if field.type == "object":
            return builders[field.of](value)
        if field.type == "objects":
            return tuple(builders[field.of](v) for v in value)
        return value

    def builder(shape: Any) -> Callable[[dict[str, Any]], Any]:
        cls = classes[shape.name]
        known = {f.key for f in shape.fields}

        def build(obj: dict[str, Any]) -> Any:
            self = object.__new__(cls)
            absent = 0
            for bit, f in enumerate(shape.fields):
                if f.key in obj:
                    value = value_of(f, obj[f.key])
                else:
                    absent |= 1 << bit
                    value = None
                object.__setattr__(self, f.key, value)
            object.__setattr__(self, "_absent", absent)
            object.__setattr__(self, "extra", {k: v for k, v in obj.items() if k not in known})
            return self

        return build

    for shape in _schema.CHUNK_SHAPES:
        builders[shape.name] = builder(shape)
    return {classes[name]: build for name, build in builders.items()}


GENERIC = _generic_builders()


def _lines_only(self: Any, data: bytes, base: int, out: list[Any]) -> None:
    self._lines(data, base, out)


def _no_scan(text: str, at: int) -> Any:
    raise StopIteration(at)


@contextlib.contextmanager
def templates(on: bool) -> Iterator[None]:
    """The template path (``_stream.TEMPLATES``) on or off for the streams started inside. On,
    it learns wherever a plan holds, a whole body's last events too (``_stream.PAYS_AFTER``
    0), so that short bodies take it as well."""
    saved = _stream.TEMPLATES, _stream.PAYS_AFTER
    _stream.TEMPLATES = on
    _stream.PAYS_AFTER = 0
    try:
        yield
    finally:
        _stream.TEMPLATES, _stream.PAYS_AFTER = saved


@contextlib.contextmanager
def snapshot_cache(on: bool) -> Iterator[None]:
    """Whether ``snapshot()`` reuses the states of the choices and tool calls it kept from the
    last snapshot (``Accumulator._reuse``), for the accumulators used inside; off, each
    snapshot captures everything anew."""
    saved = _accumulate.Accumulator._reuse
    _accumulate.Accumulator._reuse = on
    try:
        yield
    finally:
        _accumulate.Accumulator._reuse = saved


def snapshot_view(c: Any) -> list[Any]:
    return [c.to_dict(), [warning_view(w) for w in c.warnings]]


def run_snapshots(
    reads: list[bytes], strict: bool, limits: Limits, assembler: Any = Assembler
) -> list[Any]:
    """An assembler fed read by read, a snapshot after each read: the views of those taken
    after a read that completed a chunk (and after the last read), then the final completion
    or the error. Every other snapshot is read only at the end (after ``close()``), the others
    right away and again at the end, where they must be unchanged: a snapshot holds the state
    at the time it was taken, whenever it is read."""
    asm = assembler(strict, **limits)
    taken: list[tuple[Any, Any]] = []  # (snapshot, its view when read right away, or None)
    try:
        for i, read in enumerate(reads):
            completed = asm.feed(read)
            snap = asm.snapshot()
            if completed or i == len(reads) - 1:
                taken.append((snap, snapshot_view(snap) if len(taken) % 2 else None))
        end = completion_view(asm.close())
    except ChunkstreamError as exc:
        _check_error(exc, strict)
        end = error_view(exc)
    views = []
    for snap, early in taken:
        view = snapshot_view(snap)
        assert early is None or same(view, early), ("a snapshot changed after it was taken",)
        views.append(view)
    return [views, end]


@contextlib.contextmanager
def general_paths() -> Iterator[None]:
    saved: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, value: Any) -> None:
        saved.append((owner, name, vars(owner)[name]))
        setattr(owner, name, value)

    patch(_accumulate.Accumulator, "_take", lambda self, obj, n, offset, data=None: False)
    patch(_stream.ChunkDecoder, "_take_fast", lambda self, obj, n, offset, data=None: False)
    patch(_models, "_ok_chat_completion_chunk", lambda obj: False)
    patch(_stream, "check_chunk", lambda obj: False)
    patch(_stream, "_scan_once", _no_scan)
    patch(_stream, "TEMPLATES", False)
    patch(_sse.SSEDecoder, "_blocks", _lines_only)
    for cls, build in GENERIC.items():
        patch(cls, "_build", staticmethod(build))
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


# ---------------------------------------------------------------------------------------------
# Target "models".


def _from_dict(cls: Any, obj: Any) -> Any:
    """``cls.from_dict(obj)`` as data: the value's fields, or the error."""
    try:
        value = cls.from_dict(obj)
    except ChunkError as exc:
        assert len(str(exc)) < MESSAGE_LIMIT, str(exc)
        assert exc.path is not None and exc.partial is None
        check_pickles(exc)
        return ["error", str(exc), exc.path]
    assert type(value) is cls
    assert same(value.to_dict(), obj), (obj, value.to_dict())
    assert len(repr(value)) < 1000
    return model_view(value)


def _general_from_dict(cls: Any, obj: Any) -> Any:
    """The long way: the full validator, then the generic builder."""
    if type(obj) is not dict:
        try:
            cls.from_dict(obj)
        except ChunkError as exc:
            return ["error", str(exc), exc.path]
        raise AssertionError("from_dict took a non-object")
    try:
        cls._validate(obj, "")
    except ChunkError as exc:
        return ["error", str(exc), exc.path]
    return model_view(GENERIC[cls](obj))


def _subobjects(obj: Any) -> Iterator[tuple[Any, Any]]:
    """(class, object) pairs for the chunk and the parts it is made of."""
    yield ChatCompletionChunk, obj
    if type(obj) is not dict:
        return
    if type(obj.get("usage")) is dict:
        yield Usage, obj["usage"]
    choices = obj.get("choices")
    for choice in choices if type(choices) is list else []:
        yield ChunkChoice, choice
        lp = choice.get("logprobs") if type(choice) is dict else None
        if type(lp) is dict:
            yield chunkstream.ChoiceLogprobs, lp
            for key in ("content", "refusal"):
                for token in lp[key] if type(lp.get(key)) is list else []:
                    yield chunkstream.TokenLogprob, token
                    tops = token.get("top_logprobs") if type(token) is dict else None
                    for top in tops if type(tops) is list else []:
                        yield chunkstream.TopLogprob, top
        delta = choice.get("delta") if type(choice) is dict else None
        if type(delta) is not dict:
            continue
        yield ChoiceDelta, delta
        if type(delta.get("function_call")) is dict:
            yield FunctionDelta, delta["function_call"]
        calls = delta.get("tool_calls")
        for call in calls if type(calls) is list else []:
            yield ToolCallDelta, call
            if type(call) is dict and type(call.get("function")) is dict:
                yield FunctionDelta, call["function"]


def check_model_object(obj: Any, limits: Limits | None = None) -> None:
    results = []
    for cls, sub in _subobjects(obj):
        fast = _from_dict(cls, sub)
        results.append(fast)
        if cls in GENERIC:
            with general_paths():
                slow = _general_from_dict(cls, sub)
            assert same(fast, slow), (cls.__name__, sub, fast, slow)
    # validate_chunk says what from_dict says.
    try:
        chunkstream.validate_chunk(obj)
    except ChunkError as exc:
        assert results[0] == ["error", str(exc), exc.path]
        return
    assert results[0][0] == "ChatCompletionChunk"
    chunk = ChatCompletionChunk.from_dict(obj)
    if depth(obj) <= 100:
        back = pickle.loads(pickle.dumps(chunk))
        assert same(model_view(back), model_view(chunk))
    # An Accumulator fed the chunk (twice: the second is a repeat of everything), with the
    # given limits (check_models draws them from the input).
    for strict in (True, False):
        acc = Accumulator(strict, **accumulator_limits(limits or DEFAULT_LIMITS))
        try:
            acc.feed(chunk)
            acc.snapshot().to_dict()
            acc.feed(chunk)
            result = acc.close()
        except ChunkstreamError as exc:
            assert strict, exc
            assert isinstance(exc.partial, ChatCompletion), exc
            exc.partial.to_dict()
            error_view(exc)
            check_pickles(exc)
            continue
        result.to_dict()
        completion_view(result)
        assert len(repr(result)) < 1000


def check_models(data: bytes) -> None:
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return  # not JSON: the stream layer's business (target "assemble")
    check_model_object(obj, limits_for(rng_for(data)))


# ---------------------------------------------------------------------------------------------
# Target "assemble".


def _not_a_stream(exc: ChunkstreamError) -> bool:
    return (
        type(exc) in (ChunkError, UpstreamError)
        and exc.chunk_index is None
        and exc.byte_offset == 0
        and exc.reason.startswith(
            ("expected an event stream", "the provider sent an error instead of an event stream")
        )
    )


def _check_error(exc: ChunkstreamError, strict: bool, needs_partial: bool = True) -> None:
    if not strict:
        assert _not_a_stream(exc), f"lenient mode raised {type(exc).__name__}: {exc}"
    if needs_partial and not _not_a_stream(exc):
        assert isinstance(exc.partial, ChatCompletion), f"no partial on {exc!r}"


def run_assemble(reads: list[bytes], strict: bool, limits: Limits) -> list[Any]:
    try:
        result = chunkstream.assemble(reads, strict=strict, **limits)
    except ChunkstreamError as exc:
        _check_error(exc, strict)
        return error_view(exc)
    return completion_view(result)


def run_iter_chunks(reads: list[bytes], strict: bool, limits: Limits) -> list[Any]:
    it = iter_chunks(reads, strict=strict, **chunk_limits(limits))
    got = []
    try:
        for chunk in it:
            got.append(chunk.to_dict())
    except ChunkstreamError as exc:
        _check_error(exc, strict, needs_partial=False)
        # The chunks the failing read completed were yielded before the error: how many
        # depends on the cuts, that they all arrived does not.
        assert got[len(got) - len(exc.chunks) :] == [c.to_dict() for c in exc.chunks]
        view = error_view(exc)
        view[5] = None
        return [got, view, [warning_view(w) for w in it.warnings]]
    return [got, None, [warning_view(w) for w in it.warnings]]


def run_chunk_decoder(reads: list[bytes], limits: Limits) -> list[Any]:
    """A lenient ChunkDecoder fed every read, [DONE] or not (it counts what comes after)."""
    decoder = ChunkDecoder(strict=False, **chunk_limits(limits))
    got = []
    try:
        for read in reads:
            got.extend(c.to_dict() for c in decoder.feed(read))
        got.extend(c.to_dict() for c in decoder.close())
    except ChunkstreamError as exc:
        _check_error(exc, strict=False, needs_partial=False)
        got.extend(c.to_dict() for c in exc.chunks)
        return [got, error_view(exc)[:3], [warning_view(w) for w in decoder.warnings]]
    return [got, None, [warning_view(w) for w in decoder.warnings]]


def spy_matches(consumer: Any, seen: Callable[[int], Any]) -> None:
    """Have an Assembler's consumer (``asm._core.consumer``) call ``seen`` with the number of
    each chunk a template match takes: one by one (``_take_same``), or in a run taken at once
    (``_runs``: the chunks from the run's first number on, as many as it has)."""
    same = consumer._take_same

    def same_spy(whole: Any, payloads: Any, values: list[str], n: int, offset: int) -> None:
        seen(n)
        same(whole, payloads, values, n, offset)

    runs_of = consumer._runs

    def runs_spy(whole: Any, payloads: Any) -> Any:
        take = runs_of(whole, payloads)
        if take is None:
            return None

        def taken(run: list[Any], n: int, offset: int) -> None:
            for k in range(n, n + len(run)):
                seen(k)
            take(run, n, offset)

        return taken

    consumer._take_same, consumer._runs = same_spy, runs_spy


def run_assembler(reads: list[bytes], strict: bool, limits: Limits) -> list[Any]:
    """Assembler fed read by read, a snapshot after each; checks that every chunk number was
    merged or warned about and that bytes held back at the end were reported."""
    asm = Assembler(strict, **limits)
    core = asm._core
    consumer: Any = core.consumer
    merged: set[int] = set()
    sink, fast = consumer._take_chunk, consumer._take_fast

    def sink_spy(obj: dict[str, Any], n: int, offset: int | None) -> None:
        merged.add(n)
        sink(obj, n, offset)

    def fast_spy(obj: dict[str, Any], n: int, offset: int, data: str) -> bool:
        taken = fast(obj, n, offset, data)
        if taken:
            merged.add(n)
        return taken

    consumer._take_chunk, consumer._take_fast = sink_spy, fast_spy
    spy_matches(consumer, merged.add)  # the chunks that matched a template (_stream.TEMPLATES)
    # Events of a type chunkstream does not read (event: foo) are skipped and counted in one
    # warning at the end ("skipped N event(s) of types ..."): that warning accounts for their
    # numbers, not an invalid_chunk warning each.
    skipped: set[int] = set()
    unread = core._unread

    def unread_spy(kind: str, what: str, api: Any, n: int, offset: int, data: str) -> None:
        skipped.add(n)
        unread(kind, what, api, n, offset, data)

    core._unread = unread_spy  # type: ignore[method-assign]
    try:
        for read in reads:
            asm.feed(read)
            asm.snapshot().to_dict()
        result = asm.close()
    except ChunkstreamError as exc:
        _check_error(exc, strict)
        return error_view(exc)
    if not strict:
        warned = {w.chunk_index for w in result.warnings if w.kind == "invalid_chunk"}
        if skipped and not asm._acc.warnings_dropped:
            assert any("chunkstream does not read" in w.message for w in result.warnings)
        lost = set(range(core.count)) - merged - warned - skipped
        # Past max_warnings a warning is only counted: a skipped chunk may have left no trace
        # but that count.
        if not asm._acc.warnings_dropped.get("invalid_chunk"):
            assert not lost, f"chunk(s) {sorted(lost)} neither merged nor warned about"
        held = core.sse.held_back
        if (
            held is not None
            and held.line_cut
            and not core.done
            and not asm._acc.warnings_dropped.get("truncated")
        ):
            assert any(
                w.kind == "truncated" and w.byte_offset == held.offset for w in result.warnings
            ), "bytes held back at the end were not reported"
    return completion_view(result)


async def _areads(reads: list[bytes]) -> AsyncIterator[bytes]:
    for read in reads:
        yield read


def run_async(reads: list[bytes], strict: bool, limits: Limits) -> list[Any]:
    """aassemble and aiter_chunks on the same reads: (assemble's view, iter_chunks' view)."""

    async def both() -> list[Any]:
        try:
            result = await chunkstream.aassemble(_areads(reads), strict=strict, **limits)
        except ChunkstreamError as exc:
            _check_error(exc, strict)
            assembled = error_view(exc)
        else:
            assembled = completion_view(result)
        it = chunkstream.aiter_chunks(_areads(reads), strict=strict, **chunk_limits(limits))
        got = []
        try:
            async for chunk in it:
                got.append(chunk.to_dict())
        except ChunkstreamError as exc:
            view = error_view(exc)
            view[5] = None  # as in run_iter_chunks
            return [assembled, [got, view, [warning_view(w) for w in it.warnings]]]
        return [assembled, [got, None, [warning_view(w) for w in it.warnings]]]

    return asyncio.run(both())


def lenient_chunks_accumulated(reads: list[bytes], limits: Limits) -> Any:
    """iter_chunks fed to an Accumulator, both lenient, with the same limits."""
    acc = Accumulator(strict=False, **accumulator_limits(limits))
    try:
        for chunk in iter_chunks(reads, strict=False, **chunk_limits(limits)):
            acc.feed(chunk)
    except ChunkstreamError as exc:
        return error_view(exc)[:3]
    return acc.close().to_dict()


def check_assemble(data: bytes, limits: Limits | None = None) -> None:
    rng = rng_for(data)
    if limits is None:
        limits = limits_for(rng)
    others = splits(data, rng, tiny_up_to=512)
    for strict in (True, False):
        whole = run_assemble([data], strict, limits)
        for reads in others:
            got = run_assemble(reads, strict, limits)
            assert same(got, whole), ("assemble: cuts change the result", reads, got, whole)
        chunks = run_iter_chunks([data], strict, limits)
        for reads in others[:1]:
            got = run_iter_chunks(reads, strict, limits)
            assert same(got, chunks), ("iter_chunks: cuts change the result", reads, got, chunks)
        if not strict:
            decoded = run_chunk_decoder([data], limits)
            for reads in others:
                got = run_chunk_decoder(reads, limits)
                assert same(got, decoded), ("ChunkDecoder: cuts change the result", reads)
        got = run_assembler(others[0] if others else [data], strict, limits)
        assert same(got, whole), ("Assembler differs from assemble", got, whole)
        got = run_async(others[0] if others else [data], strict, limits)
        assert same(got, [whole, chunks]), ("async differs from sync", got, whole, chunks)
        if not strict:
            if whole[0] == "ok":
                assert same(lenient_chunks_accumulated([data], limits), whole[1])
            else:
                assert same(lenient_chunks_accumulated([data], limits), whole[:3])
        with general_paths():
            slow = run_assemble([data], strict, limits)
            slow_chunks = run_iter_chunks([data], strict, limits)
        assert same(slow, whole), ("fast and general paths differ (assemble)", slow, whole)
        assert same(slow_chunks, chunks), ("fast and general paths differ (iter_chunks)",)
        # The template path on and off (whichever the run has): the same, whole and cut.
        with templates(not _stream.TEMPLATES):
            flipped = run_assemble([data], strict, limits)
            flipped_cut = run_assemble(others[0] if others else [data], strict, limits)
            flipped_asm = run_assembler(others[-1] if others else [data], strict, limits)
            flipped_chunks = run_iter_chunks([data], strict, limits)
        assert same(flipped, whole), ("templates on and off differ (assemble)", flipped, whole)
        assert same(flipped_cut, whole), ("templates on and off differ (cut)", flipped_cut)
        assert same(flipped_asm, whole), ("templates on and off differ (Assembler)", flipped_asm)
        assert same(flipped_chunks, chunks), ("templates on and off differ (iter_chunks)",)
        # Snapshots that reuse what they kept (see Accumulator._reuse) and snapshots captured
        # anew: the same after every read, and each unchanged by what came after it.
        reads = others[-1] if others else [data]
        with snapshot_cache(False):
            cold = run_snapshots(reads, strict, limits)
        with snapshot_cache(True):
            kept = run_snapshots(reads, strict, limits)
        assert same(kept, cold), ("snapshots differ with the cache on and off", kept, cold)


# ---------------------------------------------------------------------------------------------
# Structure-aware mutation (the custom mutator, and hypothesis' structured strategies).


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


_RAW = {  # placeholders written as raw JSON text after json.dumps
    "\x01big\x01": "9" * 5000,
    "\x01inf\x01": "1e999",
    "\x01-inf\x01": "-1e999",
}
HOSTILE: list[Any] = [
    -1,
    10**15,
    1.5,
    True,
    False,
    "0",
    None,
    {},
    [],
    [{}],
    [None],
    "",
    "x",
    "\ud83d",
    "\ude00",
    "a\x00b",
    float("inf"),
    float("nan"),
    10**4000,
    *_RAW,
    "[DONE]",
    {"message": "boom", "code": 502},
    "y" * 5000,
    _deep(95),
    _deep(101),
    [{"type": "text", "text": "t"}, {"type": "thinking", "thinking": [{"text": "h"}]}],
    {"index": 0, "id": "call_x", "function": {"name": "f", "arguments": "{"}},
    {"index": 1, "delta": {"content": "b"}},
    {"index": 0, "delta": {}, "finish_reason": "stop"},
    {
        "content": [
            {
                "token": "a",
                "logprob": -0.5,
                "bytes": [97],
                "top_logprobs": [{"token": "a", "logprob": -0.5, "bytes": [97]}],
            }
        ],
        "refusal": None,
    },
]
KEYS = [
    "index",
    "content",
    "tool_calls",
    "delta",
    "choices",
    "error",
    "finish_reason",
    "usage",
    "logprobs",
    "role",
    "id",
    "model",
    "created",
    "function",
    "arguments",
    "name",
    "type",
    "refusal",
    "reasoning_content",
    "function_call",
    "x_groq",
    "citations",
    "token",
    "logprob",
    "bytes",
    "top_logprobs",
    "x",
]


def _nodes(obj: Any, cap: int = 500) -> list[tuple[Any, Any]]:
    """(container, key) pairs of ``obj``'s values, breadth first, at most ``cap``."""
    out: list[tuple[Any, Any]] = []
    queue = [obj]
    while queue and len(out) < cap:
        node = queue.pop(0)
        items = node.items() if type(node) is dict else enumerate(node)
        for key, value in items:
            out.append((node, key))
            if type(value) in (dict, list) and len(queue) < cap:
                queue.append(value)
    return out


def _pick(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(HOSTILE))  # the palette itself must never be mutated


def mutate_json(obj: Any, rng: random.Random) -> Any:
    """One structural change: a hostile value somewhere, a key removed or added, an item
    repeated."""
    if type(obj) not in (dict, list) or rng.random() < 0.05:
        return _pick(rng) if rng.random() < 0.5 else {"choices": [_pick(rng)]}
    nodes = _nodes(obj)
    op = rng.randrange(5)
    if not nodes or op == 0:
        targets = [n for n in ([obj] + [c[k] for c, k in nodes]) if type(n) in (dict, list)]
        node = rng.choice(targets)
        if type(node) is dict:
            node[rng.choice(KEYS)] = _pick(rng)
        else:
            node.append(_pick(rng))
        return obj
    container, key = rng.choice(nodes)
    if op == 1:
        del container[key]
    elif op == 2 and type(container) is list:
        container.insert(key, json.loads(json.dumps(container[key])))
    else:
        container[key] = _pick(rng)
    return obj


def dumps(obj: Any) -> str:
    text = json.dumps(obj, separators=(",", ":"))
    for mark, raw in _RAW.items():
        text = text.replace(json.dumps(mark), raw)
    return text


_BLOCKS = [
    b"data: [DONE]",
    b": keep-alive",
    b'event: error\ndata: {"error":{"message":"overloaded","code":529}}',
    b"event: error\ndata: plain text",
    b'data: {"error":{"message":"boom"},"choices":[]}',
    b"id: 7",
    b"id: a\x00b",
    b"retry: 1000",
    b"retry: 99999999999999999999999",
    b"data: {",
    b"data",
    b"data:\ndata:",
    b' data: {"choices":[]}',
    b"data: \xff\xfe",
    b"data: " + "é".encode()[:1],
    b"data: {}",
    b"data: null",
    b'data: {"choices":{}}',
    b'data: {"choices":[{"index":-1}]}',
    b"<html><head><title>502 Bad Gateway</title></head></html>",
    b'{"error":{"message":"Invalid API key","code":401}}',
    b"data: " + b"[" * 150,
]


def mutate_body(data: bytes, rng: random.Random) -> bytes:
    """One change to an event stream: an event's JSON mutated, an event repeated, moved,
    removed or inserted, the line endings or the end changed."""
    blocks = data.split(b"\n\n")
    op = rng.random()
    if op < 0.55:  # an event's JSON
        json_at = [i for i, b in enumerate(blocks) if b.startswith(b"data: {")]
        if json_at:
            i = rng.choice(json_at)
            try:
                obj = json.loads(blocks[i][6:])
            except (ValueError, RecursionError):
                obj = None
            if obj is not None:
                for _ in range(rng.randint(1, 3)):
                    obj = mutate_json(obj, rng)
                blocks[i] = b"data: " + dumps(obj).encode("utf-8", "surrogatepass")
                return b"\n\n".join(blocks)
    if op < 0.65 and len(blocks) > 1:
        i = rng.randrange(len(blocks))
        blocks.insert(rng.randrange(len(blocks) + 1), blocks[i])
    elif op < 0.72 and len(blocks) > 1:
        del blocks[rng.randrange(len(blocks))]
    elif op < 0.8:
        blocks.insert(rng.randrange(len(blocks) + 1), rng.choice(_BLOCKS))
    elif op < 0.85:
        return data.replace(b"\n", rng.choice((b"\r\n", b"\r")))
    elif op < 0.9:
        return data[: rng.randrange(len(data) + 1)]
    elif op < 0.95:
        return data.rstrip(b"\n") + rng.choice((b"", b"\n"))
    else:
        return rng.choice((BOM, b"\xef\xbb", b"\n", b": hi\n\n")) + data
    return b"\n\n".join(blocks)


def mutate_text(data: bytes, rng: random.Random) -> bytes:
    """A JSON text (target "models") mutated structurally; bytes that are not JSON stay."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return data
    for _ in range(rng.randint(1, 3)):
        obj = mutate_json(obj, rng)
    return dumps(obj).encode("utf-8", "surrogatepass")


def custom_mutator(target: str) -> Callable[[bytes, int, int], bytes]:
    structured = mutate_text if target == "models" else mutate_body

    def mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return bytes(atheris.Mutate(data, max_size))
        return structured(data, rng)[:max_size]

    return mutator


# ---------------------------------------------------------------------------------------------
# Seeds: fixtures and recorded streams, cut to a few kB.


def _shorten(body: bytes, keep: int) -> bytes:
    if len(body) <= keep:
        return body
    blocks = body.split(b"\n\n")
    head, tail, size = [], [], 0
    while blocks and size < keep // 2:
        size += len(blocks[0]) + 2
        head.append(blocks.pop(0))
    while blocks and size < keep:
        size += len(blocks[-1]) + 2
        tail.insert(0, blocks.pop())
    return b"\n\n".join(head + tail)


def seed_streams(keep: int = 4096) -> list[bytes]:
    paths = sorted(FIXTURES.glob("*.sse"))
    if CORPUS.is_dir():
        paths += sorted(CORPUS.glob("*/*.sse"))
    return [_shorten(p.read_bytes(), keep) for p in paths]


def seed_chunks(streams: list[bytes]) -> list[bytes]:
    seen: dict[bytes, None] = {}
    for body in streams:
        for line in re.split(rb"\r\n|\r|\n", body):
            if line.startswith(b"data:") and line[5:].strip()[:1] == b"{":
                seen.setdefault(line[5:].strip())
    return list(seen)


def seeds(target: str) -> list[bytes]:
    streams = seed_streams()
    return seed_chunks(streams) if target == "models" else streams


CHECKS: dict[str, Callable[[bytes], None]] = {
    "sse": check_sse,
    "models": check_models,
    "assemble": check_assemble,
}


# ---------------------------------------------------------------------------------------------
# Hypothesis: the fallback, and what tests/test_fuzz.py uses.


def strategy(target: str, streams: list[bytes] | None = None) -> Any:
    from hypothesis import strategies as st

    base = seeds(target) if streams is None else streams
    if target == "models" and streams is not None:
        base = seed_chunks(streams)
    mutate = mutate_text if target == "models" else mutate_body

    def mutated(pair: tuple[bytes, list[int]]) -> bytes:
        data, rounds = pair
        for seed in rounds:
            data = mutate(data, random.Random(seed))
        return data

    structured = st.tuples(
        st.sampled_from(base), st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4)
    ).map(mutated)
    pieces = st.lists(
        st.sampled_from(
            [
                *(b"data:", b"data: ", b"event:", b"id:", b"retry:", b":", b" ", b"x", b"{}"),
                *(b"\n", b"\r", b"\r\n", b"\n\n", b"[DONE]", BOM, b"\xff", b"\x00", "é".encode()),
                b'{"choices":[{"index":0,"delta":{"content":"a"}}]}',
            ]
        ),
        max_size=40,
    ).map(b"".join)
    if target == "models":
        scalars = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=4),
            st.sampled_from(["\ud800", "\x00", "[DONE]"]),
        )
        values = st.recursive(
            scalars,
            lambda inner: st.one_of(
                st.lists(inner, max_size=3),
                st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=2), inner, max_size=4),
            ),
            max_leaves=12,
        )
        as_json = values.map(lambda v: json.dumps(v).encode())
        return st.one_of(st.binary(max_size=64), as_json, structured)
    return st.one_of(st.binary(max_size=256), pieces, structured)


def hypothesis_run(target: str, flags: list[str]) -> int:
    from hypothesis import HealthCheck, given, settings

    options = dict(f.lstrip("-").split("=", 1) for f in flags if "=" in f)
    seconds = float(options.get("max_total_time", 60))
    runs = int(options["runs"]) if "runs" in options else None
    print(
        "fuzz.py: atheris is not installed (pip install atheris), so this run is hypothesis "
        f"driving the same '{target}' target: random inputs and mutations of the seeds, not "
        f"coverage-guided; {f'{runs} inputs' if runs else f'{seconds:g} s'}.",
        file=sys.stderr,
    )
    check = CHECKS[target]
    strat = strategy(target)
    done = 0
    deadline = time.monotonic() + seconds

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strat)
    def batch(data: bytes) -> None:
        nonlocal done
        done += 1
        check(data)

    while (runs is None and time.monotonic() < deadline) or (runs is not None and done < runs):
        batch()
    print(f"fuzz.py: {target}: {done} inputs, no failure.", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    target, rest, own = "all", [], []
    args = iter(argv)
    for arg in args:
        if arg == "--target":
            target = next(args, "")
        elif arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        elif arg in ("--templates=on", "--templates=off"):
            # The template path's setting for the runs a target compares with it flipped
            # (the assemble target checks both ways on every input).
            _stream.TEMPLATES = arg.endswith("=on")
            own.append(arg)
        else:
            rest.append(arg)
    if target == "all":
        import subprocess

        worst = 0
        for name in TARGETS:
            print(f"fuzz.py: target {name}", file=sys.stderr, flush=True)
            proc = subprocess.run([sys.executable, __file__, "--target", name, *own, *rest])
            worst = worst or proc.returncode
        return worst
    if target not in CHECKS:
        print(f"fuzz.py: --target must be one of {', '.join(TARGETS)}, got {target!r}")
        return 2
    flags = [a for a in rest if a.startswith("-")]
    paths = [a for a in rest if not a.startswith("-")]
    if atheris is None:
        files = [Path(p) for p in paths if Path(p).is_file()]
        if files:  # replay saved inputs, as libFuzzer does when given files
            for path in files:
                CHECKS[target](path.read_bytes())
            print(f"fuzz.py: {target}: {len(files)} file(s) replayed, no failure.", file=sys.stderr)
            return 0
        return hypothesis_run(target, flags)
    if not any(Path(p).is_file() for p in paths):  # fuzzing, not replaying crash files
        if not paths:
            paths.append(tempfile.mkdtemp(prefix=f"chunkstream-fuzz-{target}-"))
        seed_dir = Path(tempfile.mkdtemp(prefix=f"chunkstream-seeds-{target}-"))
        for i, seed in enumerate(seeds(target)):
            (seed_dir / f"seed-{i:04d}").write_bytes(seed)
        paths.append(str(seed_dir))
        if not any(f.startswith("-max_len=") for f in flags):
            flags.append("-max_len=4096")
    check = CHECKS[target]
    atheris.Setup([sys.argv[0], *flags, *paths], check, custom_mutator=custom_mutator(target))
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
