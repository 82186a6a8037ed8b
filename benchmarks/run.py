# SPDX-License-Identifier: MIT
"""The chunkstream benchmark: ``python -m benchmarks.run`` (see benchmarks/README.md).

For each stream kind and size (streams.py), in one process: the floor (floor.py),
``assemble(reads)``, ``iter_chunks(reads)`` consuming typed chunks, an ``Accumulator`` fed from
``iter_chunks`` with ``snapshot()`` after every chunk, and the peers that are installed (the
``bench`` extra). Every implementation is first run once and its result checked against the
floor's (a wrong result is reported, never timed); then the timed runs go round-robin (the
order rotates each repeat) and the median is kept; peak memory is taken in a separate,
untimed pass under ``tracemalloc``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import re
import signal
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

if __package__ in (None, ""):
    # Run as a script (python benchmarks/run.py): import this folder as the package, and keep
    # it off sys.path so that benchmarks/profile.py cannot shadow the standard library's.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    __package__ = "benchmarks"

import chunkstream
from chunkstream import Accumulator, Assembler, ChatCompletion, assemble, iter_chunks

from .floor import FLOORS, scan_loads
from .streams import KINDS as STREAM_KINDS
from .streams import make_reads, make_stream

# The generated streams' kinds, and the shared corpus replayed (see corpus_bodies).
KINDS = (*STREAM_KINDS, "corpus")

START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# ---------------------------------------------------------------------------------------------
# Results in one shape per kind (the floor's, see floor.py), for the correctness check.


def from_completion(kind: str, c: Any) -> Any:
    """A chunkstream ChatCompletion -> the kind's result."""
    choices = c.choices
    if kind == "text":
        return choices[0].message.content
    if kind == "tools":
        return [
            (t.id, t.function.name, t.function.arguments) for t in choices[0].message.tool_calls
        ]
    if kind == "n4":
        return [choice.message.content for choice in choices]
    return (choices[0].message.content, [t.to_dict() for t in choices[0].logprobs.content])


# ---------------------------------------------------------------------------------------------
# chunkstream's implementations. Each takes (kind, reads) and returns something that
# ``check`` turns into the kind's result; all the work a user would need happens inside.


def cs_assemble(kind: str, reads: list[bytes]) -> ChatCompletion:
    return assemble(reads)


def cs_iter_chunks(kind: str, reads: list[bytes]) -> Any:
    """What a user of iter_chunks does: read the typed chunks and keep what the kind needs."""
    if kind == "text":
        parts = []
        for chunk in iter_chunks(reads):
            for choice in chunk.choices or ():
                delta = choice.delta
                if delta is not None and delta.content:
                    parts.append(delta.content)
        return "".join(parts)
    if kind == "tools":
        calls: dict[int, tuple[Any, Any, list[str]]] = {}
        for chunk in iter_chunks(reads):
            for choice in chunk.choices or ():
                delta = choice.delta
                if delta is None or not delta.tool_calls:
                    continue
                for call in delta.tool_calls:
                    fn = call.function
                    held = calls.get(call.index)  # type: ignore[arg-type]
                    if held is None:
                        name = None if fn is None else fn.name
                        held = calls[call.index] = (call.id, name, [])  # type: ignore[index]
                    if fn is not None and fn.arguments:
                        held[2].append(fn.arguments)
        return [(i, name, "".join(parts)) for _, (i, name, parts) in sorted(calls.items())]
    if kind == "n4":
        texts: dict[int, list[str]] = {}
        for chunk in iter_chunks(reads):
            for choice in chunk.choices or ():
                delta = choice.delta
                if delta is not None and delta.content:
                    texts.setdefault(choice.index, []).append(delta.content)
        return ["".join(p) for _, p in sorted(texts.items())]
    parts = []
    tokens: list[Any] = []
    for chunk in iter_chunks(reads):
        for choice in chunk.choices or ():
            delta = choice.delta
            if delta is not None and delta.content:
                parts.append(delta.content)
            lp = choice.logprobs
            if lp is not None and lp.content:
                tokens.extend(lp.content)
    return ("".join(parts), tokens)


def cs_iter_chunks_result(kind: str, result: Any) -> Any:
    if kind == "logprobs":
        return (result[0], [t.to_dict() for t in result[1]])
    return result


def cs_assembler(kind: str, reads: list[bytes]) -> ChatCompletion:
    """A live display fed the raw reads: snapshot() after every read that completed a chunk."""
    asm = Assembler()
    for read in reads:
        if asm.feed(read):
            asm.snapshot()
    return asm.close()


_EVENT_READS: dict[int, tuple[Any, list[bytes]]] = {}


def event_reads(source: Any) -> list[bytes]:
    """A body (or the reads of one) cut after each event: one event per read, as HTTP clients
    deliver a live stream. Cut on the first call for a body (the untimed check run) and kept,
    so that the timed runs do not pay for the cutting."""
    held = _EVENT_READS.get(id(source))
    if held is None or held[0] is not source:
        body = source if type(source) is bytes else b"".join(source)
        *events, last = body.split(b"\n\n")
        reads = [event + b"\n\n" for event in events]
        if last:
            reads.append(last)
        held = _EVENT_READS[id(source)] = (source, reads)
    return held[1]


def cs_live(kind: str, reads: list[bytes]) -> ChatCompletion:
    """A live display: an Assembler fed one event per read, snapshot() after each read."""
    asm = Assembler()
    for read in event_reads(reads):
        asm.feed(read)
        asm.snapshot()
    return asm.close()


def cs_accumulate(kind: str, reads: list[bytes]) -> ChatCompletion:
    acc = Accumulator()
    for chunk in iter_chunks(reads):
        acc.feed(chunk)
        acc.snapshot()
    return acc.close()


# ---------------------------------------------------------------------------------------------
# Peers (the optional ``bench`` extra). Each loader imports its package and returns
# (run, to_result, {kind it cannot assemble: why}); ImportError means "not installed".


def _payloads(reads: Iterable[bytes]) -> Iterator[Any]:
    """The floor's own SSE handling, for peers that have no SSE parser of their own (litellm,
    langchain): the cheapest possible, so their figures are a lower bound."""
    import json

    buf = b""
    for read in reads:
        *events, buf = (buf + read).split(b"\n\n")
        for event in events:
            data = event[6:].decode()
            if data == "[DONE]":
                return
            yield json.loads(data)


def _collect(kind: str, objs: Iterable[Any]) -> Any:
    """The floor's collection, over decoded chunk objects."""
    parts: list[str] = []
    tokens: list[Any] = []
    texts: dict[int, list[str]] = {}
    calls: dict[int, tuple[Any, Any, list[str]]] = {}
    for obj in objs:
        for choice in obj["choices"]:
            delta = choice["delta"]
            if kind == "tools":
                for call in delta.get("tool_calls") or ():
                    fn = call["function"]
                    held = calls.get(call["index"])
                    if held is None:
                        held = calls[call["index"]] = (call.get("id"), fn.get("name"), [])
                    held[2].append(fn["arguments"])
                continue
            content = delta.get("content")
            if content:
                if kind == "n4":
                    texts.setdefault(choice["index"], []).append(content)
                else:
                    parts.append(content)
            if kind == "logprobs" and choice["logprobs"]:
                tokens.extend(choice["logprobs"]["content"])
    if kind == "text":
        return "".join(parts)
    if kind == "tools":
        return [(i, name, "".join(p)) for _, (i, name, p) in sorted(calls.items())]
    if kind == "n4":
        return ["".join(p) for _, p in sorted(texts.items())]
    return ("".join(parts), tokens)


def _load_openai() -> tuple[Callable[..., Any], Callable[..., Any], tuple[str, ...]]:
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    def run(kind: str, reads: list[bytes]) -> Any:
        # What the SDK's chat.completions.stream() helper does with the body: its SSE decoder,
        # Stream.__stream__'s [DONE]/error handling and construct_type, then the helper's state.
        state: Any = ChatCompletionStreamState()
        for sse in SSEDecoder().iter_bytes(iter(reads)):
            if sse.data.startswith("[DONE]"):
                break
            data = sse.json()
            if isinstance(data, dict) and data.get("error"):
                raise RuntimeError(data["error"])
            chunk = construct_type(type_=ChatCompletionChunk, value=data)
            for _event in state.handle_chunk(chunk):
                pass
        return state.get_final_completion()

    def result(kind: str, c: Any) -> Any:
        m = c.choices[0].message
        if kind == "text":
            return m.content
        if kind == "tools":
            return [(t.id, t.function.name, t.function.arguments) for t in m.tool_calls]
        if kind == "n4":
            return [ch.message.content for ch in c.choices]
        return (m.content, [t.model_dump() for t in c.choices[0].logprobs.content])

    return run, result, {}


def _load_httpx_sse() -> tuple[Callable[..., Any], Callable[..., Any], tuple[str, ...]]:
    import codecs
    import json

    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    def events(reads: list[bytes]) -> Iterator[Any]:
        # EventSource.iter_sse(): httpx's iter_text() (an incremental UTF-8 decoder with
        # errors="replace"), the line decoder, then the event decoder; plus json.loads.
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        lines = SSELineDecoder()
        decoder = SSEDecoder()
        for read in reads:
            for line in lines.decode(text.decode(read)):
                sse = decoder.decode(line.rstrip("\n"))
                if sse is not None:
                    if sse.data == "[DONE]":
                        return
                    yield json.loads(sse.data)

    def run(kind: str, reads: list[bytes]) -> Any:
        return _collect(kind, events(reads))

    return run, lambda kind, r: r, {}


def _load_litellm() -> tuple[Callable[..., Any], Callable[..., Any], tuple[str, ...]]:
    # Without this litellm fetches its model price map from the network at import time.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm
    from litellm.types.utils import ModelResponseStream

    def run(kind: str, reads: list[bytes]) -> Any:
        chunks = [ModelResponseStream(**obj) for obj in _payloads(reads)]
        return litellm.stream_chunk_builder(chunks)

    def result(kind: str, r: Any) -> Any:
        m = r.choices[0].message
        if kind == "text":
            return m.content
        if kind == "tools":
            return [(t.id, t.function.name, t.function.arguments) for t in m.tool_calls]
        if kind == "n4":
            return [ch.message.content for ch in r.choices]
        raise NotImplementedError(kind)

    unsupported = {
        "n4": "stream_chunk_builder assembles choice 0 only",
        "logprobs": "stream_chunk_builder drops logprobs",
    }
    return run, result, unsupported


def _load_langchain() -> tuple[Callable[..., Any], Callable[..., Any], tuple[str, ...]]:
    from langchain_core.messages import AIMessageChunk
    from langchain_core.messages.tool import tool_call_chunk

    def run(kind: str, reads: list[bytes]) -> Any:
        # How LangChain streams are assembled: one AIMessageChunk per chunk (as langchain-openai
        # converts deltas), summed with `+`. One message: it has no notion of n > 1 choices.
        full: Any = None
        for obj in _payloads(reads):
            for choice in obj["choices"]:
                delta = choice["delta"]
                calls = [
                    tool_call_chunk(
                        name=c["function"].get("name"),
                        args=c["function"].get("arguments"),
                        id=c.get("id"),
                        index=c.get("index"),
                    )
                    for c in delta.get("tool_calls") or ()
                ]
                meta = {"logprobs": choice["logprobs"]} if choice.get("logprobs") else {}
                msg = AIMessageChunk(
                    content=delta.get("content") or "",
                    tool_call_chunks=calls,
                    response_metadata=meta,
                )
                full = msg if full is None else full + msg
            usage = obj.get("usage")
            if usage:
                msg = AIMessageChunk(
                    content="",
                    usage_metadata={
                        "input_tokens": usage["prompt_tokens"],
                        "output_tokens": usage["completion_tokens"],
                        "total_tokens": usage["total_tokens"],
                    },
                )
                full = msg if full is None else full + msg
        return full

    def result(kind: str, m: Any) -> Any:
        if kind == "text":
            return m.content
        if kind == "tools":
            chunks = sorted(m.tool_call_chunks, key=lambda c: c["index"])
            return [(c["id"], c["name"], c["args"]) for c in chunks]
        if kind == "n4":
            raise NotImplementedError(kind)
        return (m.content, m.response_metadata["logprobs"]["content"])

    return run, result, {"n4": "one AIMessageChunk has no notion of n > 1 choices"}


PEERS: dict[str, tuple[Callable[[], Any], str]] = {
    "openai": (_load_openai, "openai"),
    "httpx-sse": (_load_httpx_sse, "httpx-sse"),
    "litellm": (_load_litellm, "litellm"),
    "langchain": (_load_langchain, "langchain-core"),
}


# ---------------------------------------------------------------------------------------------
# Measuring.


@dataclass
class Impl:
    name: str
    run: Callable[[str, list[bytes]], Any]
    result: Callable[[str, Any], Any]
    unsupported: dict[str, str] = field(default_factory=dict)  # kind -> why it is not run
    peer: bool = False


@dataclass
class Row:
    impl: str
    kind: str
    chunks: int
    size: int  # bytes of the body
    times: list[float] = field(default_factory=list)
    peak: int | None = None
    note: str = ""
    timed_out: bool = False  # the one run was stopped at the budget: times[0] is a lower bound

    @property
    def median(self) -> float:
        return statistics.median(self.times)


# ---------------------------------------------------------------------------------------------
# The corpus kind: the shared corpus of recorded streams replayed, each body whole. Its "reads"
# are the bodies, one per recording; its floor is floor.py's (decode, split on blank lines,
# json.loads on str), written for any recording (comment and event lines skipped); its result,
# per recording, the content text of each choice.

CORPUS = os.environ.get("CHUNKSTREAM_CORPUS") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), os.pardir, "shared", "corpus"
)


def corpus_recordings() -> list[tuple[str, bytes]]:
    """``(provider/name, body)`` of every ``*/*.sse`` recording of the corpus, in name order
    ([] when it is not there)."""
    if not os.path.isdir(CORPUS):
        return []
    out = []
    for provider in sorted(os.listdir(CORPUS)):
        folder = os.path.join(CORPUS, provider)
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".sse"):
                    with open(os.path.join(folder, name), "rb") as f:
                        out.append((f"{provider}/{name}", f.read()))
    return out


def corpus_bodies() -> list[bytes]:
    """Every recording's body (see corpus_recordings)."""
    return [body for _, body in corpus_recordings()]


def corpus_chunks(bodies: list[bytes]) -> int:
    """The data events of the recordings ([DONE] not counted): the chunks of µs/chunk."""
    return sum(
        1
        for body in bodies
        for line in body.split(b"\n")
        if line.startswith(b"data:") and line[5:].strip() != b"[DONE]"
    )


def floor_corpus(bodies: list[bytes], loads: Callable[[str], Any] = json.loads) -> Any:
    out = []
    for body in bodies:
        texts: dict[int, list[str]] = {}
        for event in body.decode().split("\n\n"):
            for line in event.split("\n"):
                if not line.startswith("data:"):
                    continue
                data = line[5:].lstrip(" ")
                if data == "[DONE]":
                    break
                try:
                    obj = loads(data)
                except ValueError:
                    continue
                if type(obj) is not dict:
                    continue
                for choice in obj.get("choices") or ():
                    delta = choice.get("delta") or {}
                    content = delta.get("content")
                    if type(content) is str and content:
                        texts.setdefault(choice["index"], []).append(content)
                    elif type(content) is list:  # content parts: their text is content
                        for part in content:
                            if part.get("type") == "text" and part.get("text"):
                                texts.setdefault(choice["index"], []).append(part["text"])
        out.append({i: "".join(p) for i, p in texts.items()})
    return out


def _corpus_result(completions: list[Any]) -> Any:
    out = []
    for c in completions:
        if c is None:
            out.append(None)
            continue
        out.append({ch.index: ch.message.content for ch in c.choices if ch.message.content})
    return out


def _lenient(run: Callable[[bytes], Any]) -> Callable[[list[bytes]], list[Any]]:
    def each(bodies: list[bytes]) -> list[Any]:
        out = []
        for body in bodies:
            try:
                out.append(run(body))
            except chunkstream.ChunkstreamError:  # a body that is no event stream
                out.append(None)
        return out

    return each


def _corpus_live(body: bytes) -> ChatCompletion:
    asm = Assembler(strict=False)
    for read in event_reads(body):
        asm.feed(read)
        asm.snapshot()
    return asm.close()


def _corpus_iter(body: bytes) -> Any:
    texts: dict[int, list[str]] = {}
    for chunk in iter_chunks(body, strict=False):
        for choice in chunk.choices or ():
            delta = choice.delta
            if delta is None or not delta.content:
                continue
            if type(delta.content) is str:
                texts.setdefault(choice.index, []).append(delta.content)
            else:  # content parts: their text is content
                for part in delta.content:
                    if part.get("type") == "text" and part.get("text"):
                        texts.setdefault(choice.index, []).append(part["text"])
    return {i: "".join(p) for i, p in texts.items()}


CORPUS_RUNS: dict[str, tuple[Callable[[list[bytes]], Any], Callable[[Any], Any]]] = {
    "floor": (floor_corpus, lambda r: r),
    "floor/scan_once": (lambda bodies: floor_corpus(bodies, scan_loads), lambda r: r),
    "assemble": (_lenient(lambda b: assemble(b, strict=False)), _corpus_result),
    "iter_chunks": (_lenient(_corpus_iter), lambda r: r),
    "Assembler live": (_lenient(_corpus_live), _corpus_result),
}


def chunkstream_impls() -> list[Impl]:
    return [
        Impl("floor", lambda kind, reads: FLOORS[kind](reads), lambda k, r: r),
        Impl(
            "floor/scan_once", lambda kind, reads: FLOORS[kind](reads, scan_loads), lambda k, r: r
        ),
        Impl("assemble", cs_assemble, from_completion),
        Impl("iter_chunks", cs_iter_chunks, cs_iter_chunks_result),
        Impl("Accumulator+snapshot", cs_accumulate, from_completion),
        Impl("Assembler+snapshot", cs_assembler, from_completion),
        Impl("Assembler live", cs_live, from_completion),
    ]


def _on_corpus(impl: Impl) -> Impl | None:
    """``impl`` as run on the corpus kind (None: not run there)."""
    if impl.name not in CORPUS_RUNS:
        return None
    run, result = CORPUS_RUNS[impl.name]
    return Impl(impl.name, lambda kind, reads: run(reads), lambda kind, r: result(r))


def peer_impls(wanted: bool, notes: list[str]) -> list[Impl]:
    impls = []
    if not wanted:
        notes.append("peers: not measured (--no-peers)")
        return impls
    for name, (load, package) in PEERS.items():
        try:
            run, result, unsupported = load()
        except ImportError as exc:
            notes.append(f"{name}: skipped: not installed ({package}; {exc})")
            print(f"{name}: skipped: not installed (pip install {package})", file=sys.stderr)
            continue
        except Exception as exc:  # a peer that breaks on import is a note, not a crash
            notes.append(f"{name}: skipped: import failed: {type(exc).__name__}: {exc}")
            print(f"{name}: skipped: import failed: {exc!r}", file=sys.stderr)
            continue
        impls.append(Impl(name, run, result, unsupported, peer=True))
    return impls


def measure_peak(impl: Impl, kind: str, reads: list[bytes], limit: float | None) -> int | None:
    """tracemalloc's peak over one run (None if it did not finish within ``limit`` s)."""
    gc.collect()
    tracemalloc.start()
    try:
        with _Deadline(limit):
            out = impl.run(kind, reads)
        peak = tracemalloc.get_traced_memory()[1]
    except _Timeout:
        return None
    finally:
        tracemalloc.stop()
    del out
    return peak


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = 1
    if text.endswith("k"):
        factor, text = 1000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1000_000, text[:-1]
    return int(float(text) * factor)


def label(n: int) -> str:
    if n >= 1000_000 and n % 1000_000 == 0:
        return f"{n // 1000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


class _Timeout(BaseException):
    """A BaseException, like KeyboardInterrupt: peers' ``except Exception`` must not swallow
    it (langchain's partial-JSON parsing of tool arguments does)."""


class _Deadline:
    """Stop a peer's run after ``seconds`` (SIGALRM, so Unix main thread only; elsewhere it
    does nothing and a slow peer just runs to the end)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if hasattr(signal, "setitimer") else None

    def __enter__(self) -> None:
        if self.seconds:
            self.old = signal.signal(signal.SIGALRM, self._fire)
            # Fire again every second in case a bare ``except:`` swallowed the first one.
            signal.setitimer(signal.ITIMER_REAL, self.seconds, 1.0)

    def __exit__(self, *exc: object) -> None:
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)

    @staticmethod
    def _fire(signum: int, frame: Any) -> None:
        raise _Timeout


def bench(
    kinds: list[str],
    sizes: list[int],
    repeat: int,
    impls: list[Impl],
    budget: float,
    clock: Callable[[], float],
    gc_off: bool,
    notes: list[str],
    log: Callable[[str], None],
) -> list[Row]:
    rows: list[Row] = []
    for kind in kinds:
        kind_impls = impls
        if kind == "corpus":
            kind_impls = [c for i in impls if (c := _on_corpus(i)) is not None]
            notes.append(
                "corpus: the shared corpus's recordings replayed, each body whole, lenient "
                "(strict=False); its floor decodes, splits and json.loads every data line; "
                "not run on it: " + ", ".join(i.name for i in impls if _on_corpus(i) is None)
            )
        for impl in kind_impls:
            if kind in impl.unsupported:
                notes.append(f"{impl.name}: not run on {kind}: {impl.unsupported[kind]}")
        for n in sizes if kind != "corpus" else [0]:
            if kind == "corpus":
                reads = corpus_bodies()
                if not reads:
                    notes.append(f"corpus: not run: no recordings at {CORPUS} (CHUNKSTREAM_CORPUS)")
                    break
                n = corpus_chunks(reads)
                size = sum(map(len, reads))
                expected = floor_corpus(reads)
            else:
                body = make_stream(kind, n)
                size = len(body)
                reads = make_reads(body)
                expected = FLOORS[kind](reads)
                del body
            live: list[tuple[Impl, Row, int]] = []  # (impl, row, timed runs wanted)
            for impl in kind_impls:
                if kind in impl.unsupported:
                    continue
                if impl.peer:
                    # Skip a peer whose run here would take longer than the budget even if it
                    # were linear (it is often worse), judging by its largest smaller run.
                    done = [r for r in rows if r.impl == impl.name and r.kind == kind]
                    if done and done[-1].timed_out:
                        notes.append(
                            f"{impl.name}: {kind} {label(n)}: skipped: it did not finish a run "
                            f"at {label(done[-1].chunks)}"
                        )
                        continue
                    if done:
                        prev = done[-1]
                        guess = prev.median * n / prev.chunks
                        if guess > budget:
                            notes.append(
                                f"{impl.name}: {kind} {label(n)}: skipped: at {label(prev.chunks)} "
                                f"a run took {prev.median:.1f} s, so one here would take at "
                                f"least {guess:.0f} s (> --budget {budget:g} s)"
                            )
                            log(f"  {impl.name:22} {kind:9} {label(n):>5}  skipped (budget)")
                            continue
                row = Row(impl.name, kind, n, size)
                # First run: warm-up and correctness check against the floor's result.
                gc.collect()
                t0 = clock()
                try:
                    with _Deadline(budget if impl.peer else None):
                        out = impl.run(kind, reads)
                    first = clock() - t0
                    got = impl.result(kind, out)
                except _Timeout:
                    row.times.append(budget)
                    row.timed_out = True
                    row.note = f"stopped after {budget:g} s"
                    rows.append(row)
                    notes.append(
                        f"{impl.name}: {kind} {label(n)}: one run did not finish within "
                        f"--budget {budget:g} s; stopped (figures shown are bounds)"
                    )
                    log(f"  {impl.name:22} {kind:9} {label(n):>5}  stopped after {budget:g} s")
                    continue
                except Exception as exc:
                    if not impl.peer:
                        raise
                    notes.append(
                        f"{impl.name}: {kind} {label(n)}: failed: {type(exc).__name__}: {exc}"
                    )
                    log(f"  {impl.name:22} {kind:9} {label(n):>5}  FAILED: {exc!r}")
                    continue
                del out
                if got != expected:
                    if not impl.peer:
                        raise AssertionError(
                            f"{impl.name} on {kind} {label(n)} disagrees with the floor"
                        )
                    notes.append(
                        f"{impl.name}: {kind} {label(n)}: wrong result (differs from the "
                        "floor's); not timed"
                    )
                    log(f"  {impl.name:22} {kind:9} {label(n):>5}  WRONG RESULT, not timed")
                    continue
                runs = repeat
                if impl.peer and first * repeat > budget:
                    runs = int(budget // first)
                    if runs == 0:
                        row.times.append(first)  # the check run is the only one
                if runs < repeat:
                    row.note = f"{max(runs, 1)} run(s): budget"
                live.append((impl, row, runs))
                rows.append(row)
            # Timed runs: round-robin, the order rotated each repeat.
            if gc_off:
                gc.disable()
            try:
                for r in range(repeat):
                    k = r % len(live)
                    for impl, row, runs in live[k:] + live[:k]:
                        if r >= runs:
                            continue
                        gc.collect()
                        t0 = clock()
                        out = impl.run(kind, reads)
                        row.times.append(clock() - t0)
                        del out
            finally:
                gc.enable()
            # Peak memory: a separate pass, not timed.
            for impl, row, _runs in live:
                if impl.peer and row.median * 3 > budget:
                    row.note = (row.note + "; " if row.note else "") + "peak not measured: slow"
                else:
                    row.peak = measure_peak(impl, kind, reads, budget if impl.peer else None)
                    if row.peak is None:
                        row.note = (row.note + "; " if row.note else "") + (
                            f"peak not measured: the tracemalloc run took over {budget:g} s"
                        )
                log(
                    f"  {impl.name:22} {kind:9} {label(n):>5}  "
                    f"{row.median * 1e6 / n:9.2f} us/chunk  "
                    f"peak {(row.peak or 0) / 2**20:7.1f} MiB  {row.note}"
                )
            del reads
    return rows


# ---------------------------------------------------------------------------------------------
# Reporting.


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "code": _git_state(),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "load": load,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "chunkstream": chunkstream.__version__,
    }


def _git_state() -> str:
    """The commit measured, and whether chunkstream/ differed from it."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "chunkstream"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.split()
    except OSError:
        return "unknown"
    if not sha:
        return "unknown"
    changed = [f for f in dirty if f.startswith("chunkstream/")]
    return f"git {sha}" + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")


def _find(rows: list[Row], impl: str, kind: str, n: int) -> Row | None:
    for row in rows:
        if row.impl == impl and row.kind == kind and row.chunks == n:
            return row
    return None


HEADER = [
    "impl",
    "kind",
    "chunks",
    "runs",
    "µs/chunk",
    "MB/s",
    "x floor",
    "peak MiB",
    "x floor peak",
]


def table(rows: list[Row]) -> list[list[str]]:
    out = []
    for row in rows:
        floor = _find(rows, "floor", row.kind, row.chunks)
        assert floor is not None
        med = row.median
        more, less = (">", "<") if row.timed_out else ("", "")
        out.append(
            [
                row.impl,
                row.kind,
                label(row.chunks),
                "0" if row.timed_out else str(len(row.times)),
                f"{more}{med * 1e6 / row.chunks:.2f}",
                f"{less}{row.size / med / 1e6:.1f}",
                f"{more}{med / floor.median:.2f}",
                "—" if row.peak is None else f"{row.peak / 2**20:.1f}",
                f"{row.peak / floor.peak:.2f}" if row.peak is not None and floor.peak else "—",
            ]
        )
    return out


def scaling(rows: list[Row], sizes: list[int]) -> list[tuple[str, str, int, int, float]]:
    """(impl, kind, small, big, ratio): per-chunk time at ``big`` over per-chunk time at
    ``small`` (1.0 = linear). ``small``/``big`` are the two largest sizes of the run, or for a
    peer skipped at the largest, the two largest it was measured at."""
    out = []
    rows = [r for r in rows if not r.timed_out]
    for key in dict.fromkeys((row.impl, row.kind) for row in rows):
        have = sorted(r.chunks for r in rows if (r.impl, r.kind) == key)
        if len(have) < 2:
            continue
        small, big = (sizes[-2], sizes[-1]) if have[-2:] == sizes[-2:] else tuple(have[-2:])
        a, b = _find(rows, *key, small), _find(rows, *key, big)
        assert a is not None and b is not None
        out.append((*key, small, big, (b.median / big) / (a.median / small)))
    return out


LINEAR = 1.25  # "linear": per-chunk time grows by at most this much more than the floor's does
MEMORY_FROM = 10_000  # peak memory is judged from this size up (below, fixed costs dominate)


def targets(rows: list[Row], sizes: list[int]) -> list[tuple[bool, str]]:
    """The issue's targets, checked on what was measured: (met, sentence) pairs."""
    checks: list[tuple[bool, str]] = []

    def worst(pairs: list[tuple[float, str]]) -> tuple[float, str] | None:
        return max(pairs) if pairs else None

    def time_ratio(impl: str, limit: float, what: str, kinds: tuple[str, ...]) -> None:
        pairs = []
        for row in rows:
            if row.impl == impl and row.kind in kinds:
                floor = _find(rows, "floor", row.kind, row.chunks)
                assert floor is not None
                pairs.append((row.median / floor.median, f"{row.kind} {label(row.chunks)}"))
        w = worst(pairs)
        if w is not None:
            checks.append((w[0] <= limit, f"{what}: worst {w[0]:.2f}x the floor ({w[1]})"))

    # Issue 14's targets.
    text_tools = ("text", "tools")
    streams = ("text", "tools", "n4")
    time_ratio("assemble", 0.7, "assemble() within 0.7x the floor on text and tools", text_tools)
    time_ratio("assemble", 1.0, "assemble() within 1.0x the floor on n4", ("n4",))
    time_ratio("iter_chunks", 1.0, "iter_chunks() within 1.0x the floor", streams)
    time_ratio("Assembler+snapshot", 1.0, "Assembler+snapshot within 1.0x the floor", streams)
    time_ratio(
        "Assembler live",
        1.5,
        "Assembler live (one event per read, a snapshot after each) within 1.5x the floor",
        streams,
    )
    time_ratio("assemble", 1.0, "assemble() within 1.0x the floor on the corpus", ("corpus",))
    # Linearity is judged against the floor's own growth measured in the same run: with the
    # garbage collector on, a stream whose result keeps hundreds of MB of objects (logprobs at
    # 100k chunks) makes every implementation, the floor included, cost more per chunk; what
    # is asked is that chunkstream adds no growth of its own. The absolute growth is in the
    # scaling table and in the sentence.
    scale = [s for s in scaling(rows, sizes) if (s[2], s[3]) == tuple(sizes[-2:])]
    floor_growth = {k: r for i, k, _, _, r in scale if i == "floor"}
    for impl in ("assemble", "iter_chunks", "Accumulator+snapshot", "Assembler+snapshot"):
        growths = [
            (ratio / floor_growth[kind], kind, ratio)
            for i, kind, _, _, ratio in scale
            if i == impl and kind in floor_growth
        ]
        if growths:
            relative, kind, ratio = max(growths)
            checks.append(
                (
                    relative <= LINEAR,
                    f"{impl} linear {label(sizes[-2])}→{label(sizes[-1])} (per-chunk time "
                    f"grows ≤ {LINEAR}x the floor's own growth): worst {relative:.2f}x ({kind}: "
                    f"{ratio:.2f}x, the floor {floor_growth[kind]:.2f}x)",
                )
            )
    for impl in ("assemble", "iter_chunks", "Accumulator+snapshot", "Assembler+snapshot"):
        pairs = []
        for row in rows:
            floor = _find(rows, "floor", row.kind, row.chunks)
            if row.impl == impl and row.chunks >= MEMORY_FROM and row.peak is not None:
                assert floor is not None and floor.peak
                pairs.append((row.peak / floor.peak, f"{row.kind} {label(row.chunks)}"))
        w = worst(pairs)
        if w is not None:
            checks.append(
                (
                    w[0] <= 2.0,
                    f"{impl} peak memory within 2x the floor's (≥ {label(MEMORY_FROM)} chunks): "
                    f"worst {w[0]:.2f}x ({w[1]})",
                )
            )
    return checks


def render_text(info: dict[str, str], rows: list[Row], sizes: list[int], notes: list[str]) -> str:
    lines = [f"{k}: {v}" for k, v in info.items()]
    body = table(rows)
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(HEADER)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    lines += ["", fmt(HEADER), fmt(["-" * w for w in widths])]
    last = None
    for r in body:
        if last is not None and (r[1], r[2]) != last:
            lines.append("")
        last = (r[1], r[2])
        lines.append(fmt(r))
    scale = scaling(rows, sizes)
    if scale:
        lines += ["", "scaling (per-chunk time at the larger size / the smaller; 1.00 = linear):"]
        for impl, kind, small, big, ratio in scale:
            lines.append(f"  {impl:22} {kind:9} {label(small):>4} → {label(big):<4} {ratio:6.2f}")
    lines += ["", "targets:"]
    for ok, text in targets(rows, sizes):
        lines.append(f"  [{'met' if ok else 'NOT MET'}] {text}")
    if notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in notes]
    return "\n".join(lines)


def render_markdown(
    info: dict[str, str], rows: list[Row], sizes: list[int], notes: list[str], command: str
) -> str:
    out = [
        f"Measured {info['date']} with `{command}`: {info['python']}, chunkstream "
        f"{info['chunkstream']} ({info['code']}), {info['cpu']} ({info['machine']}; load "
        f"average at start {info['load']}).",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(HEADER) - 2)) + "|",
    ]
    out += ["| " + " | ".join(r) + " |" for r in table(rows)]
    scale = scaling(rows, sizes)
    if scale:
        kinds = list(dict.fromkeys(s[1] for s in scale))
        got = {(i, k): (a, b, r) for i, k, a, b, r in scale}
        out += [
            "",
            "Scaling: per-chunk time at the larger size over per-chunk time at the smaller "
            f"(1.00 = linear; {label(sizes[-2])} → {label(sizes[-1])} unless marked).",
            "",
            "| impl | " + " | ".join(kinds) + " |",
            "|---|" + "---:|" * len(kinds),
        ]
        for impl in dict.fromkeys(s[0] for s in scale):
            cells = []
            for k in kinds:
                if (impl, k) not in got:
                    cells.append("—")
                    continue
                a, b, r = got[impl, k]
                mark = "" if (a, b) == tuple(sizes[-2:]) else f" ({label(a)} → {label(b)})"
                cells.append(f"{r:.2f}{mark}")
            out.append(f"| {impl} | " + " | ".join(cells) + " |")
    out += ["", "Targets (stated for CPython 3.11):", ""]
    for ok, text in targets(rows, sizes):
        out.append(f"- {'met' if ok else '**not met**'}: {text}")
    if notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(out)


def _markers(doc: str) -> tuple[int, int] | None:
    """Where the text between the marker lines goes: (end of the start line, start of the end
    line). Markers count only as whole lines, so prose that quotes them is left alone."""
    start = re.search(r"^" + re.escape(START) + r"[ \t]*$", doc, re.MULTILINE)
    if start is None:
        return None
    end = re.compile(r"^" + re.escape(END) + r"[ \t]*$", re.MULTILINE).search(doc, start.end())
    if end is None:
        return None
    return start.end(), end.start()


def write_markdown(path: str, text: str) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            doc = f.read()
    except OSError as exc:
        print(f"error: cannot read {path}: {exc}", file=sys.stderr)
        return False
    where = _markers(doc)
    if where is None:
        print(
            f"error: {path} has no {START} ... {END} marker lines; add them where the table "
            "goes (nothing was written)",
            file=sys.stderr,
        )
        return False
    doc = doc[: where[0]] + "\n" + text + "\n" + doc[where[1] :]
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
    return True


def has_markers(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            return _markers(f.read()) is not None
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="chunkstream against the floor (split, strip 'data: ', json.loads, join) "
        "and against the peers that are installed",
    )
    p.add_argument("--quick", action="store_true", help="1k and 10k chunks, 3 repeats")
    p.add_argument("--sizes", help="comma-separated chunk counts (default 1k,10k,100k)")
    p.add_argument("--kinds", help=f"comma-separated stream kinds (default {','.join(KINDS)})")
    p.add_argument("--repeat", type=int, help="timed runs per implementation (default 5)")
    p.add_argument("--no-peers", action="store_true", help="measure chunkstream and the floor only")
    p.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds a peer may spend on one stream (default 120): fewer repeats for a slow "
        "peer, and a larger size skipped when it would take longer than this even if linear",
    )
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: time.perf_counter (default); cpu: time.process_time, for a busy machine",
    )
    p.add_argument(
        "--gc-off",
        action="store_true",
        help="disable the cyclic garbage collector during timed runs (default: on, as in "
        "real programs)",
    )
    p.add_argument(
        "--markdown",
        metavar="PATH",
        help=f"write the results into PATH between the lines {START} and {END}",
    )
    args = p.parse_args(argv)

    sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    if args.sizes:
        try:
            sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
        except ValueError:
            p.error(f"--sizes: expected chunk counts like 1k,10k,100k, got {args.sizes!r}")
        if not sizes or min(sizes) < 40:
            p.error("--sizes: each size must be at least 40 chunks")
    repeat = args.repeat if args.repeat is not None else (3 if args.quick else 5)
    if repeat < 1:
        p.error("--repeat must be at least 1")
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else list(KINDS)
    for k in kinds:
        if k not in KINDS:
            p.error(f"unknown kind {k!r}; expected some of {', '.join(KINDS)}")
    if args.markdown and not has_markers(args.markdown):
        print(
            f"error: {args.markdown} is missing or has no {START} ... {END} markers; add them "
            "where the table goes",
            file=sys.stderr,
        )
        return 2

    notes: list[str] = []
    if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
        notes.append(
            f"the targets are stated for CPython 3.11; this is {platform.python_version()}"
        )
    impls = chunkstream_impls() + peer_impls(not args.no_peers, notes)
    info = machine()
    clock: Callable[[], float] = time.perf_counter if args.clock == "wall" else time.process_time

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    log(
        f"{info['python']} on {info['cpu']}, load {info['load']}; sizes "
        f"{', '.join(label(s) for s in sizes)}; {repeat} repeats; clock {args.clock}"
    )
    rows = bench(kinds, sizes, repeat, impls, args.budget, clock, args.gc_off, notes, log)
    for row in rows:
        if row.note and not row.timed_out:
            notes.append(f"{row.impl}: {row.kind} {label(row.chunks)}: {row.note}")
    notes.append(
        "streams: deterministic OpenAI-shaped bodies (benchmarks/streams.py) fed in reads of "
        "1-4 KiB cut at fixed random places; every result was checked equal to the floor's "
        "before timing"
    )
    notes.append(
        f"time: median of the timed runs ({clock.__name__}), "
        "implementations round-robin within each stream, the order rotated each repeat, "
        f"garbage collector {'off' if args.gc_off else 'on'}; MB/s = body bytes / median / 10^6"
    )
    notes.append(
        "peak memory: tracemalloc in a separate, untimed run (the input reads excluded, the "
        "result included)"
    )
    notes.append(
        "floor/scan_once: the floor with json.loads replaced by the C scanner it wraps "
        "(json.JSONDecoder().scan_once), as chunkstream's JSON fast path does; for information "
        "only: the ratios and targets are against the floor with json.loads"
    )
    if any(impl.name in ("litellm", "langchain") for impl in impls):
        notes.append(
            "litellm and langchain take decoded chunks, not a byte stream: they are handed "
            "the floor's own split + json.loads, so their figures are lower bounds"
        )
    print(render_text(info, rows, sizes, notes))
    if args.markdown:
        given = argv if argv is not None else sys.argv[1:]
        command = " ".join(["python -m benchmarks.run", *given])
        if not write_markdown(args.markdown, render_markdown(info, rows, sizes, notes, command)):
            return 1
        log(f"wrote the results into {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
