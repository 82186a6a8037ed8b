# SPDX-License-Identifier: MIT
"""The command line: files / stdin -> JSON on stdout, for people who keep captured streams in
logs. ``main()`` turns every error into one line on stderr and an exit code, never a traceback.
Uses the public API (names importable from ``chunkstream``), and the stream layer's one rule
for the end marker (``is_done_data``), so that the rule is written once.

Three parts, each with its own section below:

- Inputs (:class:`_Inputs`): where streams come from (files, directories, stdin, and the
  containers: JSON Lines records and HAR). Each input gives :class:`_Capture` objects, "a
  stream to process": its source label, its body (the reads, and how locations map back to
  the input) and whether the output names it; or :class:`_Unreadable` for an input that
  gives no stream.
- Streams (:class:`_Streams`): how each capture becomes results, in one pass over its bytes:
  :class:`_Assembly` (the completion, --quiet, --text), :class:`_EventList` (--events),
  :class:`_ChunkList` (--chunks).
- Reporting (:class:`_Report`): JSON output, --text (:class:`_LiveText`), progress, --stats,
  warning and error lines on stderr, the exit status.

One input goes through all three in :func:`_one_input`; ``-j N`` runs it in worker processes
and plays their output back in input order (:func:`_pooled`, after :func:`_run`).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import bz2
import fnmatch
import gzip
import io
import json
import lzma
import math
import os
import re
import sys
import time
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NoReturn

from . import (
    DEFAULT_MAX_EVENT_BYTES,
    Assembler,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkDecoder,
    ChunkstreamError,
    Completion,
    CompletionAssembler,
    CompletionChoice,
    ServerSentEvent,
    SSEDecoder,
    SSEError,
    StreamWarning,
    Usage,
    __version__,
    encode,
)
from ._stream import is_done_data

# The most a stream's first reads are held while no event has told its family (_Assembly).
_HOLD_MAX = 1 << 20
# The most events that tell nothing (see _Assembly._tell) held before it is a chat stream.
_HOLD_EVENTS = 16
# What a stream assembles to: a chat completion, or a legacy one (``text_completion``, told by
# the first chunk's ``object``: see _Assembly).
_Assembled = ChatCompletion | Completion

_READ_SIZE = 64 * 1024  # the most one read takes; reads return what is there (pipes, tail -f)
_BOM = b"\xef\xbb\xbf"
_FILLER = b"x" * _READ_SIZE  # stands for a chunk line over the limit (see _ChunkLines)
_JSON_WS = b" \t\r\n"
_STDIN = "<stdin>"
# A record (one line) or a HAR file is one JSON document, parsed whole: this bounds it. A HAR
# costs about twice its size while parsed, then what its bodies hold.
DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024
_FORMATS = ("sse", "chunks", "records", "har")
_CONTAINERS = ("records", "har")  # formats holding several streams: always JSON Lines

_DESCRIPTION = """\
Rebuild chat.completion objects from captured OpenAI-compatible streams (Server-Sent Events
carrying chat.completion.chunk objects), and check that each stream is one coherent response.
"""

_EPILOG = """\
inputs:
  FILE is a file, a directory (searched recursively, hidden entries skipped, files picked by
  --glob, in sorted order) or - for stdin. Input is read incrementally, as it arrives.
  Each input's format is detected from its first non-blank bytes, or set with --format:
    sse      a raw text/event-stream body (anything not matched below)
    chunks   JSON Lines, one chunk object per line, as gateways log them: chosen when the
             first line is a JSON object with "choices" or "object": "chat.completion.chunk".
             Each non-blank line is the data of one event, so the stream's rules apply
             ([DONE] on a line of its own ends it; a cut last line is a chunk that is not
             JSON). Errors name the line, "line 3: ..." (1-based); their chunk number counts
             the non-blank lines (0-based) and their byte offset is the line's in the file.
             A line longer than --max-event-bytes is never held: it is skipped like an
             event over the limit (a warning, or an error unless --lenient).
             A log of several streams (a gateway's) is split by each line's id, or by
             --group-by PATH (a dotted path in the line), each stream assembled on its own
             and named FILE@ID, written in order of first appearance once it ends. A line
             without the field, or a bare [DONE] line, belongs to the stream of the line
             before it. By id, a file stays one stream (as a single response always was)
             until an id comes back after another one, or a new id follows a finished
             stream: a new id while the stream before it is unfinished may be one response
             whose provider changes its id (Groq, Avian), so up to 1,000 lines are held until
             the earlier id comes back (split) or not (one stream, a "split" warning).
             --max-open-streams N bounds the streams open at once: past it, the first to
             begin is ended (a "limit" warning when unfinished); a later line of it is an
             error. --chunks reads a chunk log as one stream; the log is read to its end.
    records  JSON Lines of records holding a whole SSE body in a string field named with
             --field (dotted path, e.g. response.body); chosen by --field. One stream per
             record, named FILE:LINE (1-based line number). A record that is not JSON, or
             has no such field, or whose field is not a string, is a failed input; so is
             a record longer than --max-record-bytes (it is counted, not held).
    har      a HAR file (first key "log"): every entry whose response is text/event-stream
             (content.mimeType or the Content-Type header) is one stream, named FILE#N
             where N indexes log.entries (0-based); base64 bodies are decoded. A HAR with no
             such entry, or an entry without content.text, is a failed input. A HAR is
             one JSON document, parsed whole: one over --max-record-bytes is not read.

compressed inputs:
  gzip, bzip2 and xz inputs (told by their first bytes, not their names; one layer) are
  decompressed as they are read, a bounded piece at a time, under the same limits; in
  directories, --glob matches a name with or without .gz, .bz2 or .xz. Byte offsets count
  decompressed bytes. Corrupt or cut data is a failed input of type CompressedDataError.

output:
  One input holding one stream (sse or chunks): the assembled completion as JSON (2-space
  indent), exactly the non-streaming chat.completion shape; warnings go to stderr only.
  Several inputs, a directory, records, HAR, or --jsonl: one JSON object per line per stream,
    {"source": S, "completion": {...}, "warnings": [...]}
    {"source": S, "error": {"type", "message", "chunk_index", "byte_offset"},
     "warnings": [...], "partial": {...}}       (partial only when the error carries one)
  each warning {"kind", "message", "chunk_index", "byte_offset", "path", "field"}. The batch
  goes on past a failed input. chunk_index and byte_offset are 0-based and refer to the
  stream (for records and HAR: to the body; for chunks JSON Lines: to the file).
  --text prints the content as it arrives, flushed. The first choice to arrive streams live;
  every other choice follows when the stream ends; each choice but choice 0 starts with a
  line "--- choice N ---". Several inputs are separated by "==> SOURCE <==" lines. What is
  shown is the assembled text: on an error, the content up to it. Reasoning, refusals and
  tool calls are not shown (use the JSON output).
  --events prints one JSON object per Server-Sent Event (all of them, [DONE] included):
  {"event", "data", "id", "retry", "offset"}. --chunks prints each chunk's JSON, checked one
  by one (consistency between chunks is checked by the default mode). With several inputs
  each line is {"source": S, "event": {...}} or {"source": S, "chunk": {...}}.
  JSON output is valid JSON only: a NaN or Infinity (from 1e999 or NaN in a vendor field) is
  written as null, with a warning of kind "non_finite" naming its path; integers of any
  size are written exactly.
  Warnings and errors always go to stderr, one line each: "chunkstream: warning: ..." and
  "chunkstream: error: ..." (with "SOURCE: " first when the output names sources). With
  --text and --quiet they go to stderr only. Control characters in them (from a provider's
  message or a file name) are escaped: \\n, \\x1b, \\u2028; so are they in the "==> SOURCE <=="
  lines. --text writes the content itself as it is.
  --stats ends with a summary on stderr, a table for people; with --json one line for
  programs: chunkstream: stats: {"streams", "ok", "failed", "chunks", "bytes",
  "finish_reasons": {reason: n}, "models": {model: n}, "providers": {provider: n},
  "errors": {type: n}, "warnings": {kind: n}, "usage": {"streams", "prompt_tokens",
  "completion_tokens", "total_tokens", "cached_tokens", "reasoning_tokens"}}, most frequent
  first. Bytes are the stream bytes read (reading stops at [DONE]). Finish reasons (per
  choice; "null" for a choice without one), models, providers (the "provider" field
  OpenRouter sends in each chunk) and usage come from each stream that assembled: --events
  and --chunks assemble none (--chunks still sums usage).

parallel (-j N):
  -j N assembles the inputs in N worker processes (-j 0: one per usable core); the output
  is the serial run's, byte for byte and in input order (stdout, stderr, --stats, the exit
  status). The unit of work is one input file: a single big file runs in one process, as
  without -j. Each file's output is written once the file is done (--text is live only for
  stdin). stdin, and inputs that are not regular files (FIFOs, /dev/fd/N), are read by the
  main process at their turn. Memory stays bounded: a few files per worker are in flight,
  and a file whose output would hold over 8 MiB is done by the main process, streaming.
  Ctrl-C stops the workers and exits with 130.

writing streams back (--encode):
  chunkstream --encode FILE... reads each FILE (or - for stdin) as one chat.completion JSON
  object (a non-streamed response, or this command's own output for one stream) and writes
  the SSE body of a stream that assembles back to it on stdout, ending with data: [DONE];
  several FILEs give their bodies one after another. --pieces N cuts the text into pieces of
  N characters (default 16), --pieces tokens per logprobs token or word. A FILE that cannot
  be read, is not JSON, or is no chat.completion no stream can give back is a failed input:
  an error line on stderr, and the run goes on.

exit status:
  0 every input succeeded, 1 an input failed (or could not be read), 2 usage error,
  130 interrupted. A closed stdout (| head) ends the run quietly with the status so far.

examples:
  chunkstream capture.sse
  curl -sN ... | tee capture.sse | chunkstream --text -
  tail -f -n +1 capture.sse | chunkstream --text -
  chunkstream --lenient --stats logs/ > completions.jsonl
  chunkstream -j 0 -q --stats --json logs/
  chunkstream --field response.body gateway.jsonl | jq -c '.completion.usage'
  chunkstream session.har
  chunkstream --group-by request_id --stats gateway-chunks.jsonl.gz > completions.jsonl
  chunkstream --encode --pieces 4 completion.json > replay.sse
"""


# =============================================================================================
# Part 1, inputs: where streams come from, and how their locations map back to the input.
# =============================================================================================


class _InputError(Exception):
    """An input the CLI cannot hand to the library (a file that cannot be read, a HAR without
    bodies, a record without its field). ``kind`` is the reported type: "InputError", or the
    OSError's class name for a read failure."""

    chunk_index: int | None = None
    byte_offset: int | None = None

    def __init__(self, message: str, kind: str = "InputError") -> None:
        super().__init__(message)
        self.kind = kind

    @classmethod
    def reading(cls, name: str, exc: OSError) -> _InputError:
        return cls(f"cannot read {name!r}: {exc.strerror or exc}", type(exc).__name__)


def _encode(text: str) -> bytes:
    """A body held as a JSON string (records, HAR) -> its bytes."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _json_why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return (
            f"{exc.msg}: line {exc.lineno} column {exc.colno}"  # json.JSONDecodeError's own shape
        )
    if isinstance(exc, RecursionError):
        return "nested too deeply to decode"
    return str(exc)


class _Reader:
    def __init__(self, f: IO[bytes]) -> None:
        self._read: Callable[[int], bytes] = getattr(f, "read1", None) or f.read
        self._back: list[bytes] = []
        self._eof = False

    def read(self) -> bytes:
        if self._back:
            return self._back.pop()
        if self._eof:  # a terminal gives more after ^D; we asked once, that was the end
            return b""
        block = self._read(_READ_SIZE)
        if not block:
            self._eof = True
        return bytes(block)

    def unread(self, data: bytes) -> None:
        if data:
            self._back.append(data)

    def blocks(self) -> Iterator[bytes]:
        while True:
            block = self.read()
            if not block:
                return
            yield block


# Compressed inputs are told by their first bytes, never by their names: gzip (RFC 1952:
# ID1 ID2 and CM 8, deflate), bzip2 ("BZh" and the block size, 1-9) and xz (the six bytes of the
# .xz stream header magic). One layer is decompressed.
_GZIP, _BZIP2, _XZ = b"\x1f\x8b\x08", b"BZh", b"\xfd7zXZ\x00"
_SUFFIXES = (".gz", ".bz2", ".xz")  # --glob also matches a name without one of these


def _may_grow_into_magic(head: bytes) -> bool:
    """Whether more bytes could make ``head`` the start of a compressed input."""
    return (
        (len(head) < 3 and _GZIP.startswith(head))
        or (len(head) < 4 and _BZIP2.startswith(head[:3]))
        or (len(head) < 6 and _XZ.startswith(head))
    )


def _compression(reader: _Reader) -> str | None:
    """The compression of the input ("gzip", "bzip2", "xz") or None, from its first bytes,
    which are put back. Reads only while the bytes so far may still start a magic number, so
    a plain input is asked for no more than it gave (a live capture is not kept waiting)."""
    head = b""
    while _may_grow_into_magic(head):
        block = reader.read()
        if not block:
            break
        head += block
    reader.unread(head)
    if head.startswith(_GZIP):
        return "gzip"
    if head.startswith(_BZIP2) and len(head) > 3 and 0x31 <= head[3] <= 0x39:
        return "bzip2"
    if head.startswith(_XZ):
        return "xz"
    return None


# What an input may be that is not read: said as such, rather than as a body that is "no
# event stream" (or, for a zip, a line of lost data). Each is told by its first bytes: the
# zip local file header (PKWARE APPNOTE 4.3.7) and the zstd frame magic (RFC 8878 3.1.1).
_ZIP, _ZSTD = b"PK\x03\x04", b"\x28\xb5\x2f\xfd"


def _unsupported(reader: _Reader, compression: str | None) -> str | None:
    """Why the input (after one layer of ``compression``) is not read, or None. Reads up to
    six bytes, which are put back: an event stream's first line is longer than that."""
    head = b""
    while len(head) < 6:
        block = reader.read()
        if not block:
            break
        head += block
    reader.unread(head)
    inner = _compression(_Reader(io.BytesIO(head)))
    if compression is not None and inner is not None:
        return (
            f"{compression} data that holds {inner} data: one layer is decompressed; "
            "decompress the outer one first (e.g. zcat FILE | chunkstream -)"
        )
    if head.startswith(_ZIP):
        return "a zip archive: not read (gzip, bzip2 and xz are); unzip it first"
    if head.startswith(_ZSTD):
        return "zstd data: not read (gzip, bzip2 and xz are); e.g. zstd -dc FILE | chunkstream -"
    return None


class CompressedDataError(OSError):
    """A compressed input that cannot be decompressed (corrupt, or cut short): a read of the
    input that failed, with where it failed. Its class name is the reported error type."""


class _Compressed(io.RawIOBase):
    """The compressed bytes, from the input's reader, for the stdlib's decompressing file
    objects. Counts what it handed over; a read of the input that fails is kept in
    ``failed`` (it is the input's fault, not the data's)."""

    def __init__(self, reader: _Reader) -> None:
        self._reader = reader
        self._held = b""
        self.consumed = 0
        self.failed: OSError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._held
        if not data:
            try:
                data = self._reader.read()
            except OSError as exc:
                self.failed = exc
                raise
        n = min(len(b), len(data))
        b[:n] = data[:n]
        self._held = data[n:]
        self.consumed += n
        return n


class _Decompressed:
    """The decompressed bytes of an input, read as they are needed: the stdlib's gzip, bz2 and
    lzma file objects, each read1() giving at most the size asked for (they decompress with
    a bound on the output), so a small file that decompresses to gigabytes is read in pieces
    like any large input and every limit on plain input (--max-event-bytes, the lines of
    JSON Lines, --max-record-bytes) bounds it the same. Concatenated streams (gzip members,
    bzip2 and xz streams) are read one after the other, as the stdlib reads them. Corrupt or
    cut data is a CompressedDataError naming where it was found."""

    def __init__(self, reader: _Reader, kind: str) -> None:
        self.kind = kind
        self._raw = _Compressed(reader)
        raw: Any = self._raw
        # Each has read1(size), giving at most size bytes; none closes the input it reads.
        self._f: Any
        if kind == "gzip":
            self._f = gzip.GzipFile(fileobj=raw, mode="rb")
        elif kind == "bzip2":
            self._f = bz2.BZ2File(raw)
        else:
            self._f = lzma.LZMAFile(raw, format=lzma.FORMAT_XZ)  # noqa: SIM115
        self.produced = 0

    def read1(self, size: int) -> bytes:
        try:
            block = self._f.read1(size)
        except EOFError:
            cut = "ends before the end of its compressed stream: the file is cut"
            raise self._error(cut) from None
        except (OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
            if exc is self._raw.failed:
                raise
            raise self._error(f"is corrupt ({exc})") from None
        self.produced += len(block)
        return bytes(block)

    def _error(self, what: str) -> CompressedDataError:
        return CompressedDataError(
            f"the {self.kind} data {what}, after {self.produced} bytes of decompressed data "
            f"(compressed bytes read: {self._raw.consumed})"
        )


# After the opening brace: the start of {"log": ...} (a HAR), or a prefix of it that the next
# read may complete.
_HAR_START = re.compile(rb'\{[ \t\r\n]*"log"[ \t\r\n]*:')
_HAR_PREFIX = re.compile(rb'\{[ \t\r\n]*(?:"(?:l(?:o(?:g(?:"[ \t\r\n]*)?)?)?)?)?')
_HAR_WINDOW = 4096  # whitespace between "{" and "log" beyond this is not a HAR we detect


def _sniff(reader: _Reader, cap: int | None) -> str:
    """Tell sse / chunks / har apart from the first non-blank bytes, then put them back.

    Incremental: each read is scanned once, so a long first line arriving in small reads
    costs linear time. Reads stop once the format is known; for chunk JSON Lines that is the
    end of the first line (its object is parsed), for the others its first bytes. ``cap``
    bounds what is held while looking (a chunk line may be as long as one event may be).
    """
    head = bytearray()
    pos = 0  # bytes of head known to be blank (after a BOM)
    first = -1  # index of the first non-blank byte, once seen
    searched = 0  # how far the end of the first line was looked for
    kind: str | None = None
    while kind is None:
        block = reader.read()
        eof = not block
        head += block
        if first < 0:
            if pos == 0 and not eof and len(head) < 3 and _BOM.startswith(head):
                continue  # may be a BOM split across reads
            if pos == 0 and head.startswith(_BOM):
                pos = 3
            while pos < len(head) and head[pos] in _JSON_WS:
                pos += 1
            if pos == len(head):
                if eof or (cap is not None and len(head) > cap):
                    kind = "sse"  # blank or empty: the stream layer says so
                continue
            first = searched = pos
        kind = _decide(head, first, searched, eof, cap)
        searched = len(head)
    reader.unread(bytes(head))
    return kind


def _decide(head: bytearray, first: int, searched: int, eof: bool, cap: int | None) -> str | None:
    if head[first] != 0x7B:  # not "{": an event stream (or what the stream layer rejects)
        return "sse"
    window = head[first : first + _HAR_WINDOW]
    if _HAR_START.match(window):
        return "har"
    prefix = _HAR_PREFIX.match(window)
    if not eof and prefix is not None and prefix.end() == len(window) < _HAR_WINDOW:
        return None  # could still become {"log":
    end = head.find(b"\n", max(searched - 1, first))
    if end < 0:
        if not eof and (cap is None or len(head) - first <= cap):
            return None
        end = len(head)
    try:
        obj = json.loads(head[first:end])
    except (ValueError, RecursionError):
        return "sse"  # the stream layer says what it is not
    if type(obj) is dict and ("choices" in obj or obj.get("object") == "chat.completion.chunk"):
        return "chunks"
    return "sse"


def _lines(
    blocks: Iterable[bytes], cap: int | None
) -> Iterator[tuple[int, int, bytes | None, int]]:
    """Split reads into lines: (1-based line number, byte offset, line without "\\n", its
    size). Each read is searched once; a line spanning reads is joined once. A line longer
    than ``cap`` is never held: its bytes are dropped as they come, and it is yielded as None
    (with its size) once its end is seen."""
    parts: list[bytes] = []
    held = 0  # bytes in parts
    over = False  # the line being collected is longer than cap: counted, not kept
    lineno = 0
    pos = 0  # offset of the current read
    start = 0  # offset of the line being collected
    line: bytes | None
    for block in blocks:
        i = 0
        while True:
            j = block.find(b"\n", i)
            if j < 0:
                break
            if over or parts:
                size = held + j - i
                if over or (cap is not None and size > cap):
                    line = None
                else:
                    parts.append(block[i:j])
                    line = b"".join(parts)
                parts = []
                held = 0
                over = False
            else:
                size = j - i
                line = block[i:j] if cap is None or size <= cap else None
            lineno += 1
            yield lineno, start, line, size
            line = None  # not held while the consumer works on the next one
            start = pos + j + 1
            i = j + 1
        if i < len(block):
            held += len(block) - i
            if over or (cap is not None and held > cap):
                over = True
                parts = []
            else:
                parts.append(block[i:])
        pos += len(block)
    if parts or over:
        yield lineno + 1, start, None if over else b"".join(parts), held


class _Body:
    """One stream as an event stream: ``reads()`` for the library, ``nbytes`` read so far.

    ``pause``, when set, is called before each read from the input after the first, with the
    size of the previous one: what the library accepted so far can be shown before the input
    is asked for more (a live capture may make it wait)."""

    sse = True

    def __init__(self, blocks: Iterable[bytes]) -> None:
        self._blocks = blocks
        self.nbytes = 0
        self.pause: Callable[[int], None] | None = None
        self.notes: list[StreamWarning] = []  # the input's own warnings about this stream

    def reads(self) -> Iterator[bytes]:
        blocks = iter(self._blocks)
        size = 0
        while True:
            if size and self.pause is not None:
                self.pause(size)
            block = next(blocks, None)
            if block is None:
                return
            size = len(block)
            self.nbytes += size
            yield block

    def relocate(self, exc: ChunkstreamError) -> None:
        """Map an error's location onto the input (nothing to do for an event stream)."""

    def warning(self, w: StreamWarning) -> StreamWarning:
        return w


def _filler(size: int) -> Iterator[bytes]:
    """The event that stands for a line over the limit: "data: " and ``size`` bytes, one byte
    over it, so that the library skips it and says so as it does for an event stream."""
    yield b"data: "
    left = size
    while left > 0:
        piece = _FILLER if left >= len(_FILLER) else _FILLER[:left]
        left -= len(piece)
        yield piece
    yield b"\n\n"


class _ChunkLines(_Body):
    """JSON Lines of chunk objects, handed to the stream layer as an event stream: each
    non-blank line is the data of one event, so every rule of the library ([DONE], in-band
    errors, lenient repairs, truncation, max_event_bytes) applies unchanged. Locations are
    mapped back: the chunk numbers are the same (one event per line); byte offsets become the
    line's offset in the file and messages start with "line N: ".

    A line longer than ``max_event_bytes`` is never held (see :func:`_lines`): the library
    is handed an event of filler just over the limit in its place, so that it skips it and
    says so (a warning, or an error in strict mode) as it does for an event stream.

    The map from event to line is kept in runs, not per line: in a run of lines laid out
    alike (same whitespace and blank lines between them) the file offset and line number of
    chunk c follow from its event offset and c, so a file of millions of short lines costs a
    few runs. Locations given by event offset alone (an oversized event, [DONE]) are kept
    one by one: [DONE] and the lines over the limit, which are few.
    """

    sse = False

    def __init__(self, blocks: Iterable[bytes], max_event_bytes: int | None) -> None:
        super().__init__(blocks)
        self._limit = max_event_bytes
        # Runs: the first chunk, its event offset, file offset, line; the change per chunk of
        # (file offset - event offset) and of the line number (-1: the run has one chunk).
        self._c0 = array("q")
        self._s0 = array("q")
        self._f0 = array("q")
        self._l0 = array("q")
        self._k = array("q")
        self._g = array("q")
        self._where: dict[int, tuple[int, int]] = {}  # event offset -> (file offset, line)
        self._over: dict[int, int] = {}  # event offset of a filler event -> the line's size
        self._chunks = 0
        self._synthetic = 0  # the offset of the next event in the stream the library reads
        self._done = False
        self._prev: tuple[int, int, int] | None = None  # the last chunk's event offset,
        # file offset, line

    def reads(self) -> Iterator[bytes]:
        last = None  # the last line's number
        for lineno, offset, line, size in _lines(super().reads(), self._limit):
            last = lineno
            event = self.event(lineno, offset, line, size)
            if event is None:
                continue
            if type(event) is int:
                yield from _filler(event)
            else:
                yield event  # type: ignore[misc]
        if last is not None:
            self.end(self.nbytes, last)

    def event(self, lineno: int, offset: int, line: bytes | None, size: int) -> bytes | int | None:
        """The event for one line of the input: its bytes, None for a blank line, or for a
        line longer than the limit (``line`` None) the size of the filler that stands for
        it (see :func:`_filler`). Keeps the map from the event back to the line."""
        limit = self._limit
        synthetic = self._synthetic
        if line is None:  # longer than the limit: filler the library skips
            assert limit is not None
            if not self._done:
                self._where[synthetic] = (offset, lineno)
                self._over[synthetic] = size
            self._prev = None
            filler = max(limit - 5, 0)  # "data: " and these: one byte over
            self._synthetic = synthetic + 8 + filler
            return filler
        if offset == 0 and line.startswith(_BOM):
            line, offset = line[3:], 3
        data = line.strip(_JSON_WS)
        if not data:
            return None
        # A CR can only be JSON whitespace (a raw one is invalid inside a string); in an
        # event stream it would end the line.
        event = b"data: " + data.replace(b"\r", b" ") + b"\n\n"
        self._synthetic = synthetic + len(event)
        if self._done:  # the library reads on only to count what it ignores
            return event
        # [DONE] by the stream layer's rule, applied to the data the library is handed.
        is_done = b"[DONE]" in data and is_done_data(event[6:-2].decode("utf-8", "replace"))
        if is_done or (limit is not None and len(event) - 2 > limit):
            # [DONE], or an event the library skips for its size ("data: " and the data
            # over the limit): not a chunk, located by its event offset alone.
            self._done = is_done
            self._where[synthetic] = (offset, lineno)
            self._prev = None
            return event
        runs = self._c0
        prev = self._prev
        c = self._chunks
        self._chunks = c + 1
        if prev is not None and len(runs) and self._g[-1] < 0:
            self._k[-1] = (offset - prev[1]) - (synthetic - prev[0])
            self._g[-1] = lineno - prev[2]
        elif (
            prev is None
            or (offset - prev[1]) - (synthetic - prev[0]) != self._k[-1]
            or lineno - prev[2] != self._g[-1]
        ):
            runs.append(c)
            self._s0.append(synthetic)
            self._f0.append(offset)
            self._l0.append(lineno)
            self._k.append(0)
            self._g.append(-1)
        self._prev = (synthetic, offset, lineno)
        return event

    def end(self, offset: int, lineno: int) -> None:
        """The input ended ("stream ended before [DONE]" is located there): for a file, its
        end, on its last line."""
        self._where.setdefault(self._synthetic, (offset, lineno))

    def _place(
        self, chunk_index: int | None, byte_offset: int | None
    ) -> tuple[int | None, int] | None:
        if byte_offset is not None and byte_offset in self._where:
            return self._where[byte_offset]
        if chunk_index is None or not 0 <= chunk_index < self._chunks:
            return None
        i = bisect.bisect_right(self._c0, chunk_index) - 1
        steps = chunk_index - self._c0[i]
        lineno = self._l0[i] + self._g[i] * steps
        if byte_offset is None:
            return None, lineno
        return self._f0[i] + (byte_offset - self._s0[i]) + self._k[i] * steps, lineno

    def relocate(self, exc: ChunkstreamError) -> None:
        if exc.chunk_index is None and exc.byte_offset is None:
            return
        size = self._over.get(exc.byte_offset) if exc.byte_offset is not None else None
        if size is not None and isinstance(exc, SSEError):  # the size it names is the filler's
            exc.reason = f"event exceeds max_event_bytes ({exc.limit}): the line is {size} bytes"
        place = self._place(exc.chunk_index, exc.byte_offset)
        if place is None:
            exc.byte_offset = None
        else:
            exc.byte_offset, lineno = place
            exc.reason = f"line {lineno}: {exc.reason}"
        exc.args = (str(exc),)

    def warning(self, w: StreamWarning) -> StreamWarning:
        if w.chunk_index is None and w.byte_offset is None:
            return w
        place = self._place(w.chunk_index, w.byte_offset)
        if place is None:
            return StreamWarning(
                kind=w.kind,
                message=w.message,
                chunk_index=w.chunk_index,
                path=w.path,
                field=w.field,
            )
        offset, lineno = place
        return StreamWarning(
            kind=w.kind,
            message=f"line {lineno}: {w.message}",
            chunk_index=w.chunk_index,
            byte_offset=offset,
            path=w.path,
            field=w.field,
        )


_MISSING: Any = object()


def _lookup(record: Any, path: list[str]) -> Any:
    """The value at a dotted path (``response.body``; a number indexes a list), or _MISSING."""
    value = record
    for key in path:
        if type(value) is dict and key in value:
            value = value[key]
        elif type(value) is list and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return _MISSING
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", bool: "a boolean", int: "a number"}
    return names.get(type(value), "a number" if type(value) is float else type(value).__name__)


# A chunk log split by id (the default) cannot tell a second response that begins while the
# first is unfinished (streams that interleave) from one response whose provider changed its
# id (Groq's compound models send a new id with every chunk; Avian changes it after the first)
# until the first id comes back or does not: the lines in between are held, up to these.
_WINDOW_LINES = 1000
_WINDOW_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_OPEN_STREAMS = 1000
_ENDED_KEPT = 4  # ended keys remembered (late lines are told), per stream that may be open


def _group_key(value: Any) -> str | None:
    """A line's group, as text: a non-blank string as it is; any other JSON value (a number, a
    boolean, an object, a list) as its compact JSON text, keys sorted; None when the line has
    none (null, a blank string: Azure's first chunk has id "", an error object has none).
    Values are told apart by their text, so 1 and "1" are one group (documented)."""
    if type(value) is str:
        return value if value.strip() else None
    if value is None or value is _MISSING:
        return None
    if type(value) is int:
        return str(value)
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # not from json.loads: no group
        return None


@dataclass
class _LogLine:
    lineno: int
    offset: int
    line: bytes | None  # None: longer than --max-event-bytes, not held
    size: int
    key: str | None
    done: bool


class _Group:
    """One stream of a chunk log: its body (the events the library reads, and the map back
    to the file's lines) and its capture."""

    def __init__(self, key: str | None, body: _ChunkLines, capture: _Capture) -> None:
        self.key = key
        self.body = body
        self.capture = capture
        self.open = True
        # (line, key): a stream that began on that line while this one was unfinished;
        # cleared when this one goes on (then they interleave).
        self.cut: tuple[int, str] | None = None


class _ChunkLog(_Body):
    """JSON Lines of chunk objects that may hold several streams (a gateway's log), split into
    streams by a field of each line: ``id`` by default, or --group-by's dotted path. Each
    stream is a :class:`_ChunkLines` of its own, fed line by line: ``steps()`` gives
    (group, event bytes) to feed, and (group, None) when a group's input ends. The stream
    part holds an Assembler per open group and reports the results in order of first
    appearance; it calls ``release`` once a group's result is out.

    The rules (README, "What a log holds"):

    - a line without the field (or blank) belongs to the stream of the line before it; lines
      before the first that has one, to the first stream;
    - a bare [DONE] line ends the stream of the line before it; a later line of a stream that
      ended so is not read (a warning, once);
    - by id, the file is read as one stream (exactly as a single response was) until it shows
      it holds several: an id comes back after another one (streams interleave), or a new id
      begins after the stream before it finished (every choice has its finish_reason, or
      [DONE]). A new id that begins while the stream before it is unfinished holds the lines
      that follow (up to _WINDOW_LINES, _WINDOW_BYTES) until the earlier id comes back (the
      streams interleave: the file is split) or not (one response whose provider changed
      its id: the file stays one stream, as before). With --group-by, the file is split from
      the first line;
    - at most ``max_open`` streams are open or waiting for their turn to be written: past it,
      the stream that began first is ended where the line that needs room is (a warning when
      it was unfinished); a later line of it is an error, once.
    """

    sse = False

    def __init__(
        self,
        name: str,
        blocks: Iterable[bytes],
        max_event_bytes: int | None,
        group_by: str | None,
        max_open: int,
        named: bool,
    ) -> None:
        super().__init__(blocks)
        self._name = name
        self._limit = max_event_bytes
        self.field = group_by or "id"
        self._path = self.field.split(".")
        self._max_open = max_open
        self._named = named
        self.state = "split" if group_by else "undecided"  # then "one" or "split"
        self.eof = False
        self._open: dict[str | None, _Group] = {}  # by key; None: lines before any key
        self.live: dict[_Group, None] = {}  # not yet released, in order of first appearance
        # Ended keys -> [line, why: "done", "room" or "failed", told]: a later line is told.
        self._ended: dict[str, list[Any]] = {}
        self._prev: _Group | None = None  # the group of the line before
        self._first: _Group | None = None
        self._window: list[_LogLine] | None = None
        self._held = 0
        self._late_first: _LogLine | None = None  # the first line after the one stream's [DONE]
        # Late lines, for the stream part to report: (source, warning) or (source, error).
        self.messages: list[tuple[str, StreamWarning | _InputError]] = []
        # Whether a group's stream is finished (every choice has its finish_reason, or it
        # ended): the stream part says, from the group's Assembler.
        self.finished: Callable[[_Group], bool] = lambda group: False
        # The field's value read without parsing the line when the line starts with it (a
        # chunk's first key is "id"), as a string without escapes; else the line is parsed.
        self._fast = (
            re.compile(
                rb'[ \t]*\{[ \t]*"'
                + re.escape(self._path[0].encode())
                + rb'"[ \t]*:[ \t]*"([^"\\]*)"'
            )
            if len(self._path) == 1 and '"' not in self._path[0] and "\\" not in self._path[0]
            else None
        )

    # -- names -----------------------------------------------------------------------------

    def decided(self) -> bool:
        """Whether the streams' names are known: FILE@KEY once split, FILE when not."""
        return self.state != "undecided" or self.eof

    def name(self, group: _Group) -> tuple[str, bool]:
        if self.state == "split":
            return f"{self._name}@{group.key or ''}", True
        return self._name, self._named

    def release(self, group: _Group) -> None:
        """The group's result is out: a group that failed before its end is closed (its
        later lines are not read, as the rest of a stream that failed is not)."""
        self.live.pop(group, None)
        if group.open:
            self._close(group, 0, "failed")

    # -- reading ---------------------------------------------------------------------------

    def steps(self) -> Iterator[tuple[_Group, bytes | None]]:
        last = 0
        for lineno, offset, line, size in _lines(super().reads(), self._limit):
            last = lineno
            item = self._classify(lineno, offset, line, size)
            if item is None:
                continue
            group = self._prev
            if (  # the everyday line: one more of the stream of the line before it
                group is not None
                and item.key is not None
                and item.key == group.key
                and not item.done
                and line is not None
                and self._window is None
                and group.open
            ):
                event = group.body.event(lineno, offset, line, size)
                if event is not None:
                    group.cut = None
                    yield group, event  # type: ignore[misc]
                continue
            if self.state == "split":
                yield from self._route(item)
            elif self.state == "one":
                yield from self._one(item)
            elif self._window is not None:
                yield from self._hold(item)
            else:
                yield from self._single(item)
        if self._window is not None:
            yield from self._resolve(split=False)
        self.eof = True
        for group in list(self.live):
            if group.open:
                yield from self._end(group, self.nbytes, last, None)

    def _classify(self, lineno: int, offset: int, line: bytes | None, size: int) -> _LogLine | None:
        if line is None:
            return _LogLine(lineno, offset, None, size, None, False)
        data = line[3:] if offset == 0 and line.startswith(_BOM) else line
        data = data.strip(_JSON_WS)
        if not data:
            return None
        if b"[DONE]" in data and is_done_data(data.replace(b"\r", b" ").decode("utf-8", "replace")):
            return _LogLine(lineno, offset, line, size, None, True)
        if self.state == "one":  # every line goes to the one stream: its key is not needed
            return _LogLine(lineno, offset, line, size, None, False)
        m = self._fast.match(data) if self._fast is not None else None
        if m is not None:
            try:
                key = _group_key(m.group(1).decode())
            except UnicodeDecodeError:
                key = None
            return _LogLine(lineno, offset, line, size, key, False)
        try:
            chunk = json.loads(data.decode())  # an event stream is UTF-8
        except (ValueError, RecursionError):
            chunk = None  # not JSON (or not UTF-8): its stream's library says so
        key = _group_key(_lookup(chunk, self._path))
        return _LogLine(lineno, offset, line, size, key, False)

    def _new(self, key: str | None) -> _Group:
        body = _ChunkLines((), self._limit)
        group = _Group(key, body, _Capture(self._name, body, self._named))
        if key is not None or None not in self._open:
            self._open[key] = group
        self.live[group] = None
        if self._first is None:
            self._first = group
        return group

    def _feed(self, group: _Group, item: _LogLine) -> Iterator[tuple[_Group, bytes | None]]:
        event = group.body.event(item.lineno, item.offset, item.line, item.size)
        if type(event) is int:
            for piece in _filler(event):
                yield group, piece
        elif event is not None:
            yield group, event  # type: ignore[misc]
        group.cut = None
        self._prev = group
        if item.done:
            self._close(group, item.lineno, "done")
            self._prev = None

    def _close(self, group: _Group, lineno: int, why: str) -> None:
        group.open = False
        if self._open.get(group.key) is group:
            del self._open[group.key]
        if group.key is not None:
            self._ended[group.key] = [lineno, why, False]
            while len(self._ended) > _ENDED_KEPT * self._max_open:
                del self._ended[next(iter(self._ended))]

    def _end(
        self, group: _Group, offset: int, lineno: int, why: str | None
    ) -> Iterator[tuple[_Group, bytes | None]]:
        """A group's input ends here (the end of the file, or to make room)."""
        if not self.finished(group):
            if why is not None:
                group.body.notes.append(self._note(lineno, offset, why))
            if group.cut is not None and self.field == "id":
                at, key = group.cut
                why = (
                    f"this stream stops unfinished where {self.field} {key!r} begins (line {at}) "
                    "and never goes on: if its provider changes the id within one response, "
                    "the split by id cut it (group the log by a field of the request with "
                    "--group-by)"
                )
                group.body.notes.append(self._note(lineno, offset, why, "split"))
        group.body.end(offset, lineno)
        self._close(group, lineno, "room")
        yield group, None

    def _note(self, lineno: int, offset: int, why: str, kind: str = "limit") -> StreamWarning:
        return StreamWarning(kind=kind, message=f"line {lineno}: {why}", byte_offset=offset)

    # -- undecided: one stream so far ------------------------------------------------------

    def _single(self, item: _LogLine) -> Iterator[tuple[_Group, bytes | None]]:
        first = self._first or self._new(item.key)
        if first.key is None and item.key is not None and first.open:
            first.key = item.key
        if item.key is None or item.key == first.key or item.done:
            if first.open:
                yield from self._feed(first, item)
            elif item.key is not None and not item.done and self._late_first is None:
                # A line of the one stream after its [DONE]: not read, in silence while the
                # file is one stream (as 0.1 read it), but said once the file turns out to
                # hold several, as a split file says it (found by tests/test_stranger_cli.py).
                self._late_first = item
        elif not first.open or self.finished(first):
            self.state = "split"  # a new response after the first one ended
            if self._late_first is not None and self._late_first.key is not None:
                self._late(self._late_first, self._late_first.key)
            yield from self._route(item)
        else:
            self._window = []
            yield from self._hold(item)

    def _hold(self, item: _LogLine) -> Iterator[tuple[_Group, bytes | None]]:
        assert self._window is not None and self._first is not None
        self._window.append(item)
        self._held += item.size
        if item.key is not None and item.key == self._first.key:
            yield from self._resolve(split=True)
        elif len(self._window) >= _WINDOW_LINES or self._held > _WINDOW_BYTES:
            yield from self._resolve(split=False)

    def _resolve(self, split: bool) -> Iterator[tuple[_Group, bytes | None]]:
        held, self._window, self._held = self._window or [], None, 0
        first = self._first
        assert first is not None
        if split:
            self.state = "split"
            for item in held:
                yield from self._route(item)
            return
        self.state = "one"
        new = held[0]
        why = (
            f"{self.field} {new.key!r} begins while the stream of {first.key!r} is unfinished, "
            f"and {first.key!r} does not come back: read as one stream (a provider that "
            "changes the id within one response)"
        )
        first.body.notes.append(self._note(new.lineno, new.offset, why, "split"))
        for item in held:
            yield from self._one(item)

    def _one(self, item: _LogLine) -> Iterator[tuple[_Group, bytes | None]]:
        first = self._first
        assert first is not None
        if first.open:
            yield from self._feed(first, item)

    # -- split -----------------------------------------------------------------------------

    def _route(self, item: _LogLine) -> Iterator[tuple[_Group, bytes | None]]:
        prev = self._prev
        if item.done:
            if prev is not None and prev.open:  # else: its stream has ended already
                yield from self._feed(prev, item)
            return
        key = item.key
        if key is None:
            if prev is not None and not prev.open:  # a line of a stream that has ended
                if prev.key is not None:
                    self._late(item, prev.key)
                return
            group = prev
            if group is None:
                group = self._open.get(None) or self._new(None)
            elif len(self._open) > 1:
                why = (
                    f"no {self.field}: taken to belong to the stream of the line before it "
                    f"({group.key!r}), one of {len(self._open)} streams open"
                )
                group.body.notes.append(self._note(item.lineno, item.offset, why, "group"))
            yield from self._feed(group, item)
            return
        found = self._open.get(key)
        if found is not None:
            group = found
        else:
            if key in self._ended:
                self._late(item, key)
                return
            pending = self._open.pop(None, None)
            if pending is not None:
                pending.key = key
                self._open[key] = group = pending
            else:
                while len(self.live) >= self._max_open:
                    oldest = next((g for g in self.live if g.open), None)
                    if oldest is None:
                        break
                    why = (
                        f"more than {self._max_open} streams open at once "
                        "(--max-open-streams): the one that began first ends here, unfinished"
                    )
                    yield from self._end(oldest, item.offset, item.lineno, why)
                group = self._new(key)
            if prev is not None and prev is not group and prev.open and not self.finished(prev):
                prev.cut = (item.lineno, key)
        yield from self._feed(group, item)

    def _late(self, item: _LogLine, key: str) -> None:
        entry = self._ended.get(key)
        if entry is None or entry[2] or entry[1] == "failed":
            return
        entry[2] = True
        lineno, why = entry[0], entry[1]
        source = f"{self._name}@{key}"
        if why == "done":
            message = (
                f"line {item.lineno}: a line of {self.field} {key!r} after the [DONE] that ended "
                f"its stream on line {lineno}: not read, nor any later line of it"
            )
            warning = StreamWarning(kind="ignored", message=message, byte_offset=item.offset)
            self.messages.append((source, warning))
        else:
            message = (
                f"line {item.lineno}: a line of {self.field} {key!r} after its stream was ended "
                f"on line {lineno} to keep at most {self._max_open} streams open "
                "(--max-open-streams): not read, nor any later line of it"
            )
            self.messages.append((source, _InputError(message)))


def _is_event_stream(response: dict[str, Any]) -> bool:
    """A HAR response is an event stream when its content.mimeType (or else its Content-Type
    header) is text/event-stream, parameters ignored."""
    content = response.get("content")
    mime = content.get("mimeType") if type(content) is dict else None
    if type(mime) is not str or not mime:
        mime = None
        headers = response.get("headers")
        for h in headers if type(headers) is list else ():
            if type(h) is dict and str(h.get("name", "")).lower() == "content-type":
                mime = h.get("value") if type(h.get("value")) is str else None
    if mime is None:
        return False
    return bool(mime.split(";", 1)[0].strip().lower() == "text/event-stream")


@dataclass
class _Capture:
    """A stream to process: ``source`` names it in messages; ``body`` gives its reads and maps
    locations back to the input; ``named``: the output names it (JSON Lines with a "source",
    "==> SOURCE <==" with --text, "SOURCE: " in messages), as for every stream of a batch or a
    container."""

    source: str
    body: _Body
    named: bool


@dataclass
class _Unreadable:
    """An input, or part of one, that gives no stream (a file that cannot be read, a record
    without its field): a failed input, named as ``_Capture.named`` says."""

    source: str
    error: _InputError
    named: bool = True


def _special_kind(path: str) -> str | None:
    """What a file met in a directory walk is when it is no regular file ("a FIFO", "a
    socket", "a device"), else None (a regular file, or one that cannot be stat'ed: opening
    it says why)."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return None


class _Inputs:
    """Part 1: the inputs named on the command line. ``files`` are (name, path; None for
    stdin) in order, directories walked; ``streams(name, path)`` opens one and yields what it
    holds, one :class:`_Capture` per stream, reading it only as the captures are used."""

    def __init__(self, args: argparse.Namespace, stdin: IO[bytes]) -> None:
        self.field: str | None = args.field
        self.format: str | None = args.format or ("records" if args.field else None)
        self.glob: str = args.glob
        self.max_event_bytes: int | None = args.max_event_bytes or None
        self.max_record_bytes: int | None = args.max_record_bytes or None
        self.stdin = stdin
        self.named = bool(args.jsonl) or len(args.files) > 1  # JSON Lines with sources
        # Chunk logs are split into streams where the results are completions; --chunks and
        # --events read each as one stream.
        self.split = not (args.chunks or args.events)
        self.group_by: str | None = args.group_by
        self.max_open_streams: int = args.max_open_streams or DEFAULT_MAX_OPEN_STREAMS
        self.files: list[tuple[str, str | None]] = []
        # Files met in a directory walk that are not regular files (a FIFO, a socket, a
        # device), with what they are: opening a FIFO no one writes to waits for ever, so
        # they are failed inputs rather than read (named on the command line, one is read).
        self.special: dict[str, str] = {}
        for arg in args.files:
            if arg == "-":
                self.files.append((_STDIN, None))
            elif os.path.isdir(arg):
                self.named = True
                found = self._walk(arg)
                self.files.extend((p, p) for p in found) if found else self.files.append((arg, arg))
            else:
                self.files.append((arg, arg))

    def _walk(self, top: str) -> list[str]:
        found: list[str] = []

        def unreadable(exc: OSError) -> None:
            # A directory that cannot be listed (no permission) is kept as an input of its
            # own, at its place in the sorted walk, so it fails (streams() says why) instead
            # of its files being left out in silence.
            if exc.filename is not None and os.fspath(exc.filename) != top:
                found.append(os.fspath(exc.filename))

        for root, dirs, files in os.walk(top, onerror=unreadable):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and self._matches(name):
                    path = os.path.join(root, name)
                    found.append(path)
                    kind = _special_kind(path)
                    if kind is not None:
                        self.special[path] = kind
        return found

    def _matches(self, name: str) -> bool:
        """--glob matches a file's name, or its name without .gz, .bz2 or .xz (so '*.sse'
        picks x.sse.gz too). Whether a file is compressed is told by its bytes, not its name."""
        if fnmatch.fnmatch(name, self.glob):
            return True
        stem, suffix = os.path.splitext(name)
        return suffix in _SUFFIXES and fnmatch.fnmatch(stem, self.glob)

    def streams(self, name: str, path: str | None) -> Generator[_Capture | _Unreadable, None, None]:
        if path is not None and os.path.isdir(path):
            try:
                os.scandir(path).close()
            except OSError as exc:  # a directory that cannot be listed (no permission)
                error = _InputError.reading(name, exc)
            else:
                error = _InputError(f"no file matching {self.glob!r} in the directory")
            yield _Unreadable(name, error, self.named)
            return
        if path is not None and path in self.special:
            error = _InputError(
                f"{self.special[path]} in a directory, not a regular file: not read (a FIFO "
                "no one writes to would wait for ever); name it on the command line to read it"
            )
            yield _Unreadable(name, error, self.named)
            return
        try:
            f: IO[bytes] = self.stdin if path is None else open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            yield _Unreadable(name, _InputError.reading(name, exc), self.named)
            return
        fmt = self.format
        try:
            reader = _Reader(f)
            compression = _compression(reader)
            if compression is not None:
                reader = _Reader(_Decompressed(reader, compression))  # type: ignore[arg-type]
            unsupported = _unsupported(reader, compression)
            if unsupported is not None:
                yield _Unreadable(name, _InputError(unsupported), self.named)
                return
            if fmt is None:
                fmt = _sniff(reader, self.max_event_bytes)
            if fmt == "records":
                yield from self._records(name, reader)
            elif fmt == "har":
                yield from self._har(name, reader)
            elif fmt == "chunks" and self.split:
                log = _ChunkLog(
                    name,
                    reader.blocks(),
                    self.max_event_bytes,
                    self.group_by,
                    self.max_open_streams,
                    self.named,
                )
                yield _Capture(name, log, self.named)
            elif fmt == "chunks":
                yield _Capture(name, _ChunkLines(reader.blocks(), self.max_event_bytes), self.named)
            else:
                yield _Capture(name, _Body(reader.blocks()), self.named)
        except OSError as exc:  # reading failed outside a stream (sniffing, a HAR, records)
            named = self.named or fmt in _CONTAINERS
            yield _Unreadable(name, _InputError.reading(name, exc), named)
        finally:
            if path is not None:
                f.close()

    def _records(self, name: str, reader: _Reader) -> Iterator[_Capture | _Unreadable]:
        assert self.field is not None
        path = self.field.split(".")
        seen = False
        cap = self.max_record_bytes
        for lineno, _offset, line, size in _lines(reader.blocks(), cap):
            if line is None:  # longer than the limit: counted as it went by, never held
                seen = True
                what = f"the record is {size} bytes, over --max-record-bytes ({cap}): not read"
                yield _Unreadable(f"{name}:{lineno}", _InputError(what))
                continue
            if not line.strip(_JSON_WS):
                continue
            seen = True
            source = f"{name}:{lineno}"
            try:
                record = json.loads(line)
            except (ValueError, RecursionError) as exc:
                why = _json_why(exc)
                yield _Unreadable(source, _InputError(f"the record is not JSON ({why})"))
                continue
            del line
            body = _lookup(record, path)
            if type(body) is str:
                raw = _encode(body)
                del record, body  # only the bytes are needed now
                yield _Capture(source, _Body([raw]), True)
                del raw
                continue
            if type(record) is not dict:
                what = f"the record is {_kind(record)}, expected a JSON object"
            elif body is _MISSING:
                what = f"the record has no field {self.field!r}"
            else:
                what = (
                    f"field {self.field!r} is {_kind(body)}, expected a string holding the "
                    "event stream"
                )
            yield _Unreadable(source, _InputError(what))
        if not seen:
            yield _Unreadable(name, _InputError("no record in the input"))

    def _har(self, name: str, reader: _Reader) -> Iterator[_Capture | _Unreadable]:
        """A HAR is one JSON document: it is read whole (up to --max-record-bytes), but held
        once at a time: the bytes until they are decoded, the text until it is parsed, and
        each entry only until its stream is done."""
        cap = self.max_record_bytes
        data = bytearray()
        for block in reader.blocks():
            data += block
            if cap is not None and len(data) > cap:
                what = f"not read: the HAR file is over --max-record-bytes ({cap} bytes)"
                yield _Unreadable(name, _InputError(what))
                return
        try:
            whole = data.decode(json.detect_encoding(data))
            del data
            doc = json.loads(whole)
        except (ValueError, RecursionError) as exc:
            why = _json_why(exc)
            yield _Unreadable(name, _InputError(f"not a HAR file: the JSON does not parse ({why})"))
            return
        del whole
        log = doc.get("log") if type(doc) is dict else None
        entries = log.get("entries") if type(log) is dict else None
        del doc, log
        if type(entries) is not list:
            yield _Unreadable(name, _InputError("not a HAR file: no log.entries list"))
            return
        found = 0
        for i in range(len(entries)):
            entry, entries[i] = entries[i], None  # dropped once its stream is done
            response = entry.get("response") if type(entry) is dict else None
            if type(response) is not dict or not _is_event_stream(response):
                continue
            found += 1
            source = f"{name}#{i}"
            where = f"log.entries[{i}].response.content.text"
            content = response.get("content")
            text = content.get("text") if type(content) is dict else None
            if type(text) is not str:
                message = f"{where} is missing: the HAR holds no body for this response"
                yield _Unreadable(source, _InputError(message))
                continue
            if type(content) is dict and content.get("encoding") == "base64":
                try:
                    body = base64.b64decode(text, validate=True)
                except (binascii.Error, ValueError):
                    yield _Unreadable(source, _InputError(f"{where} is not valid base64"))
                    continue
            else:
                body = _encode(text)
            del entry, response, content, text
            yield _Capture(source, _Body([body]), True)
            del body
        if not found:
            message = f"no text/event-stream response among the HAR's {len(entries)} entries"
            yield _Unreadable(name, _InputError(message))


# =============================================================================================
# Part 2, streams: how each capture becomes results, in one pass over its bytes.
# =============================================================================================


class _Counter:
    """--stats in the modes whose decoding pass gives no chunk count (the completion, whose
    Assembler does not count the event it takes at the end of the input, nor those after an
    error in the same read; --chunks, whose ChunkDecoder counts none): a stream's chunks as the
    stream layer numbers them (every event but [DONE], up to [DONE]), found by the SSE layer
    alone over the same reads."""

    def __init__(self, max_event_bytes: int | None) -> None:
        self._decoder = SSEDecoder(max_event_bytes)
        self.count = 0
        self._done = False

    def feed(self, read: bytes) -> None:
        if self._done:
            return
        try:
            data = [e.data for e in self._decoder.feed(read)]
        except SSEError as exc:
            data = [e.data for e in exc.events]
        self._see(data)

    def close(self) -> None:
        if self._done:
            return
        self._decoder.close()
        held = self._decoder.held_back
        if held is not None and held.event is not None:
            self._see([held.event.data])

    def _see(self, data: Iterable[str]) -> None:
        for d in data:
            if is_done_data(d):
                self._done = True
                return
            self.count += 1


_LINE_END = re.compile(rb"\r\n|\r|\n")


class _Streams:
    """Part 2: runs each capture through the library in the mode asked for, and tells the
    report what came of it (including a read of the input that failed midway)."""

    def __init__(self, args: argparse.Namespace, report: _Report) -> None:
        self.report = report
        self.strict = not args.lenient
        self.max_event_bytes: int | None = args.max_event_bytes or None
        self.created_tolerance: int = args.created_tolerance
        self.count = bool(args.stats)
        self.args = args  # for the workers of -j

    def process(self, capture: _Capture) -> None:
        if isinstance(capture.body, _ChunkLog):
            self._log(capture.body)
            return
        report = self.report
        mode = report.mode
        stream: _Assembly | _EventList | _ChunkList
        if mode == "events":
            stream = _EventList(self, capture)
        elif mode == "chunks":
            stream = _ChunkList(self, capture)
        else:
            stream = _Assembly(self, capture)
        report.begin(capture)
        try:
            stream.run()
        except OSError as exc:  # reading the input failed inside the stream
            report.out.flush()
            report.failed(capture.source, _InputError.reading(capture.source, exc), capture.named)
        finally:
            report.stats.bytes += capture.body.nbytes
            if self.count:
                report.stats.chunks += stream.chunks()

    def _log(self, log: _ChunkLog) -> None:
        """A chunk log: an _Assembly per open group, fed as its lines come; the results are
        reported in order of first appearance, once the streams' names are known."""
        report = self.report
        streams: dict[_Group, _Assembly] = {}
        order: deque[_Group] = deque()  # not yet reported, in order of first appearance

        def finished(group: _Group) -> bool:
            """Every choice of the group's stream has its finish_reason, or it is over."""
            stream = streams.get(group)
            if stream is None or stream.outcome is not None:
                return True
            if stream.assembler is None:
                return False  # no chunk yet
            choices = stream.assembler.snapshot().choices
            return bool(choices) and all(c.finish_reason is not None for c in choices)

        log.finished = finished

        def flush() -> None:
            for source, message in log.messages:
                if isinstance(message, StreamWarning):
                    report.warn(source, [message], True)
                else:
                    report.failed(source, message)
            log.messages.clear()
            while order and log.decided():
                group = order[0]
                stream = streams[group]
                if stream.outcome is None:
                    return
                group.capture.source, group.capture.named = log.name(group)
                report.begin(group.capture)
                stream.emit()
                if self.count:
                    report.stats.chunks += stream.chunks()
                del streams[group]
                order.popleft()
                log.release(group)

        try:
            try:
                for group, read in log.steps():
                    stream = streams.get(group)
                    if stream is None:
                        stream = streams[group] = _Assembly(self, group.capture)
                        order.append(group)
                    if read is None:
                        stream.close()
                    elif not stream.feed(read) and not log.messages:
                        continue  # nothing new to write
                    flush()
            except OSError as exc:  # reading the file failed: every open stream ends with it
                log.eof = True
                for stream in streams.values():
                    stream.abort(exc)
            flush()
        finally:
            report.stats.bytes += log.nbytes


class _Assembly:
    """The completion (and --quiet, --text): one Assembler fed read by read, as assemble()
    does, with assemble()'s rules for a source that fails. --text shows the live choice's
    content from the Assembler's snapshots, before the input is asked for more.

    Which Assembler is told by the stream's first event that tells (a JSON object with no
    ``object`` and no choices, as Azure's first chunk, tells nothing; after _HOLD_EVENTS of
    them it is a chat stream): a JSON object whose ``object`` is ``text_completion`` starts a
    legacy Completions stream (a CompletionAssembler, as assemble_completion()); anything else
    a Chat Completions one (which reports what else it is). The reads before it are held (a
    few hundred bytes as a rule, at most _HOLD_MAX: then it is a chat stream), then fed to it
    one by one, as they came."""

    def __init__(self, streams: _Streams, capture: _Capture) -> None:
        self.report = streams.report
        self.capture = capture
        self.strict = streams.strict
        self.created_tolerance = streams.created_tolerance
        self.assembler: Assembler | CompletionAssembler | None = None  # once told (_tell)
        self.held: list[bytes] = []  # the reads before it was told
        self.untold = 0  # the events before it that told nothing
        self.held_bytes = 0  # the size of ``held``
        self.sniff: SSEDecoder | None = SSEDecoder(streams.max_event_bytes)
        self.counter = _Counter(streams.max_event_bytes) if streams.count else None
        self.text = self.report.live_text() if self.report.mode == "text" else None
        self.max_event_bytes = streams.max_event_bytes
        self.probe: ChunkDecoder | None = None  # finds the live choice (see _first_choice)
        self.probing = self.text is not None
        self.outcome: Callable[[], None] | None = None  # reports the result, once known

    def chunks(self) -> int:
        if self.counter is None:
            return 0
        self.counter.close()
        return self.counter.count

    def run(self) -> None:
        """Reads the capture's body to its end (or the stream's), then reports the result."""
        body = self.capture.body
        text = self.text
        if text is not None:

            def pause(size: int) -> None:
                assembler = self.assembler
                if assembler is not None and text.due(body.nbytes, size):
                    text.show(assembler.snapshot())

            body.pause = pause
        try:
            reads = body.reads()
            while self.outcome is None:
                try:
                    read = next(reads, None)
                except OSError as exc:
                    self.abort(exc)
                    break
                if read is None:
                    self.close()
                else:
                    self.feed(read)
        finally:
            body.pause = None
        self.emit()

    # One stream, pushed read by read (run() above, or a chunk log's groups): feed() until it
    # returns True, else close() at the end of the input or abort() when reading it failed.
    # The result is kept in ``outcome`` until emit() reports it (a chunk log writes its
    # streams in order of first appearance).

    def feed(self, read: bytes) -> bool:
        """One read of the stream; True once the stream is over (its result is known)."""
        if self.outcome is not None:
            return True
        if self.assembler is None:
            self.held.append(read)
            if not self._tell(read):
                return False
            self._started()
            return self.outcome is not None
        return self._push(read)

    def _push(self, read: bytes) -> bool:
        """One read, to the Assembler."""
        assembler = self.assembler
        assert assembler is not None
        try:
            if self.counter is not None:
                self.counter.feed(read)
            if self.text is not None and self.probing:
                if isinstance(assembler, CompletionAssembler):
                    assembler.feed(read)
                    self._first_legacy_choice(assembler, self.text)
                else:
                    self._first_choice(read, self.text)
                    assembler.feed(read)
            else:
                assembler.feed(read)
            if assembler.done:
                self._completed(assembler.close())
        except ChunkstreamError as exc:
            self._failed(exc)
        return self.outcome is not None

    def _tell(self, read: bytes) -> bool:
        """Whether the reads so far tell the stream's family (then its Assembler is made): by
        the first event that carries data."""
        sniff = self.sniff
        assert sniff is not None
        try:
            events = sniff.feed(read)
        except SSEError:
            self._make(False)  # the Assembler says what is wrong with it
            return True
        for e in events:
            obj = None
            if e.event == "message":
                try:
                    obj = json.loads(e.data)
                except (ValueError, RecursionError):
                    obj = None
            if type(obj) is dict and not obj.get("object") and not obj.get("choices"):
                # Tells nothing: Azure's first chunk (blank ``object``, no choices, the
                # prompt's filter results: microsoft/autogen issue 6465), an in-band error.
                self.untold += 1
                if self.untold <= _HOLD_EVENTS:
                    continue
            self._make(type(obj) is dict and obj.get("object") == "text_completion")
            return True
        self.held_bytes += len(read)
        if self.held_bytes > _HOLD_MAX:
            self._make(False)  # no event yet: whatever it is, the chat Assembler says
            return True
        return False

    def _make(self, legacy: bool) -> None:
        kind = CompletionAssembler if legacy else Assembler
        self.assembler = kind(
            self.strict,
            max_event_bytes=self.max_event_bytes,
            created_tolerance=self.created_tolerance,
        )
        self.sniff = None

    def _started(self) -> Assembler | CompletionAssembler:
        """The Assembler (a chat one if the family was never told: the input ended or failed
        first), fed the reads held until it was."""
        if self.assembler is None:
            self._make(False)
        held, self.held = self.held, []
        for read in held:
            if self._push(read):
                break
        assert self.assembler is not None
        return self.assembler

    def close(self) -> None:
        """The input ended."""
        if self.outcome is None:
            assembler = self._started()
            if self.outcome is not None:
                return
            try:
                self._completed(assembler.close())
            except ChunkstreamError as exc:
                self._failed(exc)

    def abort(self, exc: OSError) -> None:
        """Reading the input failed: assemble()'s rule for a transport fault. The completion
        when the stream was complete, or lenient (with a "truncated" warning naming the fault);
        strict otherwise, the read error itself (a failed input)."""
        if self.outcome is not None:
            return
        assembler = self._started()
        if self.outcome is not None:
            return
        try:
            completion = assembler.abort(exc)
        except ChunkstreamError as err:
            if not self.strict:
                self._failed(err)
                return
            self.outcome = lambda: self._unreadable(exc)
            return
        self._completed(completion)

    def emit(self) -> None:
        """Reports the result (once it is known)."""
        outcome, self.outcome = self.outcome, None
        if outcome is not None:
            outcome()

    def _completed(self, completion: _Assembled) -> None:
        def report() -> None:
            if self.text is not None:
                self.text.finish(completion)
            self.report.completion(self.capture, completion)

        self.outcome = report

    def _failed(self, exc: ChunkstreamError) -> None:
        body = self.capture.body
        body.relocate(exc)
        partial = exc.partial if isinstance(exc.partial, (ChatCompletion, Completion)) else None
        warnings = [body.warning(w) for w in partial.warnings] if partial else []
        warnings += body.notes

        def report() -> None:
            if self.text is not None:
                self.text.finish(partial)
            capture = self.capture
            self.report.failed(capture.source, exc, capture.named, warnings, partial)

        self.outcome = report

    def _unreadable(self, exc: OSError) -> None:
        if self.text is not None:
            self.text.finish(None)
        self.report.out.flush()
        capture = self.capture
        error = _InputError.reading(capture.source, exc)
        self.report.failed(capture.source, error, capture.named, self.capture.body.notes)

    def _first_choice(self, read: bytes, text: _LiveText) -> None:
        """Which choice arrives first (the live one, for --text): one chunk may bring several,
        and a read many chunks, so a lenient ChunkDecoder of its own is fed the reads line by
        line (a line ends at most one event) until a chunk with a choice comes, then dropped:
        only the first events are read twice. The stream's own Assembler is fed whole reads
        (what it says of an event over max_event_bytes depends on the reads)."""
        if self.probe is None:
            self.probe = ChunkDecoder(strict=False, max_event_bytes=self.max_event_bytes)
        probe = self.probe
        start = 0
        try:
            for m in _LINE_END.finditer(read):
                end = m.end()
                text.arrived(probe.feed(read[start:end]))
                start = end
                if text.live is not None:
                    break
            else:
                text.arrived(probe.feed(read[start:]))
        except ChunkstreamError:  # the stream's own Assembler says what went wrong
            pass
        if text.live is not None or probe.done:
            self.probe = None
            self.probing = False

    def _first_legacy_choice(self, assembler: CompletionAssembler, text: _LiveText) -> None:
        """The live choice of a legacy stream: the first of the first snapshot that has one
        (by index: a legacy stream has no typed chunk decoder to probe with)."""
        choices = assembler.snapshot().choices
        if choices:
            text.live = choices[0].index
            self.probing = False


class _EventList:
    """--events: one JSON object per Server-Sent Event, from one SSEDecoder; --stats counts
    the same events."""

    def __init__(self, streams: _Streams, capture: _Capture) -> None:
        self.report = streams.report
        self.capture = capture
        self.strict = streams.strict
        self.decoder = SSEDecoder(streams.max_event_bytes)
        self.count = streams.count
        self.closed = False
        self.done = False  # [DONE] went by: the events after it are not counted
        self.counted = 0

    def chunks(self) -> int:
        if not self.closed:  # failed before the end: what the reads held, as the end sees it
            self.closed = True
            self.decoder.close()
            held = self.decoder.held_back
            if held is not None and held.event is not None:
                self._count([held.event])
        return self.counted

    def _count(self, events: Iterable[ServerSentEvent]) -> None:
        for e in events:
            if self.done:
                return
            if is_done_data(e.data):
                self.done = True
                return
            self.counted += 1

    def _emit(self, events: list[ServerSentEvent]) -> None:
        self.report.events(self.capture, events)
        if self.count:
            self._count(events)

    def run(self) -> None:
        report = self.report
        source = self.capture.source
        named = self.capture.named
        body = self.capture.body
        if not body.sse:
            message = (
                "--events shows the events of an event stream; this input is JSON Lines of "
                "chunks (try --chunks)"
            )
            self.closed = True
            report.failed(source, _InputError(message), named)
            return
        decoder = self.decoder
        warnings: list[StreamWarning] = []
        for read in body.reads():
            try:
                self._emit(decoder.feed(read))
            except SSEError as exc:
                self._emit(exc.events)  # the other events of that read are not lost
                if self.strict:
                    report.out.flush()
                    report.failed(source, exc, named, warnings)
                    return
                message = exc.reason + "; skipped the event"
                warnings.append(
                    StreamWarning(kind="limit", message=message, byte_offset=exc.byte_offset)
                )
            report.out.flush()
        self.closed = True
        decoder.close()
        held = decoder.held_back
        if held is not None and held.event is not None:
            self._emit([held.event])  # only the final blank line is missing: the library takes it
        elif held is not None and held.line_cut:
            message = (
                "stream ended inside an event: its last line has no line ending, "
                f"{held.size} bytes held back"
            )
            warnings.append(
                StreamWarning(kind="truncated", message=message, byte_offset=held.offset)
            )
        for offset, name in decoder.ignored_lines:
            message = (
                f"ignored a line whose field name is {name!r} (the fields are 'data', 'event', "
                "'id' and 'retry')"
            )
            warnings.append(StreamWarning(kind="ignored", message=message, byte_offset=offset))
        took_held = held is not None and held.event is not None
        if body.nbytes and not (decoder.events_dispatched or took_held or warnings):
            message = f"no event in the input's {body.nbytes} bytes"
            warnings.append(StreamWarning(kind="no_event", message=message))
        report.out.flush()
        report.warn(source, warnings, named)
        report.succeeded()


class _ChunkList:
    """--chunks: each chunk's JSON, from one ChunkDecoder, checked one by one."""

    def __init__(self, streams: _Streams, capture: _Capture) -> None:
        self.report = streams.report
        self.capture = capture
        self.decoder = ChunkDecoder(streams.strict, max_event_bytes=streams.max_event_bytes)
        self.counter = _Counter(streams.max_event_bytes) if streams.count else None
        self.usage: Usage | None = None
        self.shown: list[StreamWarning] = []  # non-finite floats written as null

    def chunks(self) -> int:
        if self.counter is None:
            return 0
        self.counter.close()
        return self.counter.count

    def _emit(self, chunks: Iterable[ChatCompletionChunk]) -> None:
        for chunk in chunks:
            self.shown += self.report.chunk(self.capture, chunk)
            if chunk.usage is not None:
                self.usage = chunk.usage  # the last non-null usage, as the assembler keeps it

    def run(self) -> None:
        report = self.report
        body = self.capture.body
        decoder = self.decoder
        counter = self.counter
        try:
            for read in body.reads():
                if counter is not None:
                    counter.feed(read)
                self._emit(decoder.feed(read))
                report.out.flush()
                if decoder.done:
                    break
            self._emit(decoder.close())
        except ChunkstreamError as exc:
            self._emit(exc.chunks)  # they came before the error: show them
            body.relocate(exc)
            report.out.flush()
            warnings = [body.warning(w) for w in decoder.warnings]
            report.failed(self.capture.source, exc, self.capture.named, warnings + self.shown)
            return
        report.out.flush()
        warnings = [body.warning(w) for w in decoder.warnings] + self.shown
        report.warn(self.capture.source, warnings, self.capture.named)
        report.stats.usage(self.usage)
        report.succeeded()


# =============================================================================================
# Part 3, reporting: JSON output, --text, progress, --stats, messages, the exit status.
# =============================================================================================


class _StdoutClosed(BaseException):
    """stdout was closed by the reader (``| head``): stop quietly. A BaseException so that
    no per-input handler takes it for a failed input."""


def _escapes() -> dict[int, str]:
    """What a line for a terminal must not hold raw, and how it is shown instead: C0 and C1
    controls and DEL (an ESC starts a terminal escape sequence; CR, LF, VT, FF and NEL end or
    move the line), the Unicode line and paragraph separators, the bidirectional controls
    (they reorder what is shown) and lone surrogates (not encodable)."""
    table = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]}
    table.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"})
    for c in [0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
              *range(0x2066, 0x206A), *range(0xD800, 0xE000)]:  # fmt: skip
        table[c] = f"\\u{c:04x}"
    return table


_ESCAPES = _escapes()


def _escape(text: str) -> str:
    """One line, safe to show on a terminal: every character in _ESCAPES written as a Python
    escape (``\\n``, ``\\x1b``, ``\\u2028``); all else as it is."""
    return text.translate(_ESCAPES)


# JSON output is valid JSON only (RFC 8259 has no NaN or Infinity): a non-finite float in
# a vendor field is written as null, as JavaScript's JSON.stringify does, and the change is
# reported as a warning naming its path. Integers of any size are written exactly, past
# Python's limit on int -> str conversion (sys.get_int_max_str_digits()).
_BIG_BITS = 1900  # an int this wide may exceed the smallest allowed limit (640 digits)


def _int_text(n: int) -> str:
    """The decimal digits of any int, whatever sys.get_int_max_str_digits() says."""
    if n < 0:
        return "-" + _int_text(-n)
    if n.bit_length() <= _BIG_BITS:
        return str(n)
    parts: list[int] = []
    while n:
        n, part = divmod(n, 10**500)
        parts.append(part)
    return str(parts[-1]) + "".join(format(p, "0500d") for p in reversed(parts[:-1]))


def _clean(obj: Any, path: str, changed: list[tuple[str, str]], big: list[int]) -> Any:
    """A copy of ``obj`` that json.dumps can write: non-finite floats become None (listed in
    ``changed`` with their path), wide ints become placeholders (listed in ``big``)."""
    t = type(obj)
    if t is float:
        if obj - obj == 0:  # finite
            return obj
        changed.append(
            (path or ".", "NaN" if obj != obj else "Infinity" if obj > 0 else "-Infinity")
        )
        return None
    if t is int:
        if obj.bit_length() <= _BIG_BITS:
            return obj
        big.append(obj)
        return _BigInt(len(big) - 1)
    if t is dict:
        return {k: _clean(v, f"{path}.{k}", changed, big) for k, v in obj.items()}
    if t is list or t is tuple:
        return [_clean(v, f"{path}[{i}]", changed, big) for i, v in enumerate(obj)]
    return obj


class _BigInt(str):
    """Stands for a wide int in the JSON text until its digits are put in."""

    __slots__ = ()

    def __new__(cls, index: int) -> _BigInt:
        return super().__new__(cls, f"\x00{_NONCE}:{index}\x00")


_NONCE = os.urandom(6).hex()


def _json_text(
    obj: Any, changed: list[tuple[str, str]] | None = None, ascii: bool = False, **kw: Any
) -> str:
    """json.dumps, valid JSON only (see above); the paths of the floats written as null are
    appended to ``changed``."""
    try:
        return json.dumps(obj, ensure_ascii=ascii, allow_nan=False, **kw)
    except ValueError:  # a non-finite float, or an int too wide for str()
        pass
    found: list[tuple[str, str]] = []
    big: list[int] = []
    text = json.dumps(_clean(obj, "", found, big), ensure_ascii=ascii, allow_nan=False, **kw)
    for i, n in enumerate(big):
        text = text.replace(f'"\\u0000{_NONCE}:{i}\\u0000"', _int_text(n), 1)
    if changed is not None:
        changed.extend(found)
    return text


def _dumps(obj: Any, pretty: bool, changed: list[tuple[str, str]] | None = None) -> bytes:
    kw: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
    text = _json_text(obj, changed, **kw)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate in a vendor field: escape, stay valid JSON
        return _json_text(obj, None, ascii=True, **kw).encode("ascii") + b"\n"


def _not_json(
    changed: Sequence[tuple[str, str]], chunk_index: int | None = None
) -> list[StreamWarning]:
    """The warnings for the non-finite floats written as null."""
    return [
        StreamWarning(
            kind="non_finite",
            message=f"{value} at {path} is not JSON: written as null",
            chunk_index=chunk_index,
            path=path,
        )
        for path, value in changed
    ]


def _error_dict(exc: BaseException) -> dict[str, Any]:
    return {
        "type": exc.kind if isinstance(exc, _InputError) else type(exc).__name__,
        "message": str(exc),
        "chunk_index": getattr(exc, "chunk_index", None),
        "byte_offset": getattr(exc, "byte_offset", None),
    }


def _warning_dict(w: StreamWarning) -> dict[str, Any]:
    return {
        "kind": w.kind,
        "message": str(w),
        "chunk_index": w.chunk_index,
        "byte_offset": w.byte_offset,
        "path": w.path,
        "field": w.field,
    }


def _event_dict(e: ServerSentEvent) -> dict[str, Any]:
    return {"event": e.event, "data": e.data, "id": e.id, "retry": e.retry, "offset": e.offset}


class _Out:
    """stdout as bytes; a closed pipe becomes _StdoutClosed."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.at_line_start = True

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._stream is None:  # started with stdout closed (>&-): Python gives None
            raise _StdoutClosed
        try:
            self._stream.write(data)
        except BrokenPipeError:
            raise _StdoutClosed from None
        self.at_line_start = data.endswith(b"\n")

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise _StdoutClosed from None


class _Progress:
    """A one-line count on stderr, redrawn in place at most ten times a second:
    ``chunkstream: 5713/18176 files, 6,020 streams, 3 failed, 1,290 streams/s, ETA 0:10``.

    Auto (the default): only when stderr is a terminal and stdout is not (the output goes to a
    file or a pipe, so the terminal shows nothing else), and only after half a second. The
    rate is the streams done over the time since the start; the ETA is the files left at the
    files' rate so far (shown once a file is done; the last line of a run has neither, as the
    run is over). ``clock`` is for tests.
    """

    def __init__(
        self,
        stream: IO[str],
        setting: bool | None,
        stdout_tty: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._forced = setting is True
        if setting is None:
            self.enabled = _isatty(stream) and not stdout_tty
        else:
            self.enabled = setting
        self._clock = clock
        self._start = clock()
        self._last = 0.0
        self._shown = 0

    def update(self, done: int, total: int, streams: int, failed: int, final: bool = False) -> None:
        if not self.enabled:
            return
        now = self._clock()
        elapsed = now - self._start
        if not self._forced and elapsed < 0.5:
            return
        if not final and now - self._last < 0.1:
            return
        self._last = now
        text = f"chunkstream: {done}/{total} files, {streams:,} streams, {failed:,} failed"
        if not final and elapsed > 0 and done:
            rate = streams / elapsed
            text += f", {rate:,.0f} streams/s" if rate >= 10 else f", {rate:.1f} streams/s"
            text += ", ETA " + _clock_text((total - done) * elapsed / done)
        pad = " " * max(0, self._shown - len(text))
        self._write("\r" + text + pad)
        self._shown = len(text)

    def clear(self) -> None:
        if self._shown:
            self._write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self.enabled = False


def _clock_text(seconds: float) -> str:
    """M:SS, or H:MM:SS from an hour, rounded up (an ETA of 0:00 only when nothing is left)."""
    s = math.ceil(seconds)
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _binary(stream: Any) -> IO[bytes]:
    """The byte stream under a text stream (sys.stdout.buffer)."""
    return getattr(stream, "buffer", stream)  # type: ignore[no-any-return]


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


_USAGE_SUMS = ("prompt_tokens", "completion_tokens", "total_tokens")
# The details summed too, from usage.prompt_tokens_details / usage.completion_tokens_details.
_USAGE_DETAILS = (("cached_tokens", "prompt_tokens_details"),
                  ("reasoning_tokens", "completion_tokens_details"))  # fmt: skip
_TALLIES = ("finish_reasons", "models", "providers", "errors", "warnings")


def _tally(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


@dataclass
class _Stats:
    """The --stats counts of a run, or of a part of one (a worker's files with -j): sums and
    tallies only, so that parts add up with :meth:`merge`, the one rule for combining them.

    Finish reasons (per choice; a choice without one counts as "null"), models and providers
    (the top-level ``provider`` string OpenRouter puts in every chunk) are counted from each
    assembled completion, as usage is: --events and --chunks assemble none (--chunks keeps
    the usage it saw)."""

    streams: int = 0
    ok: int = 0
    failed: int = 0
    chunks: int = 0
    bytes: int = 0
    finish_reasons: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    usage_streams: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    def completed(self, completion: _Assembled) -> None:
        """What an assembled completion adds: its finish reasons, model, provider, usage."""
        for choice in completion.choices:
            reason = choice.finish_reason
            _tally(self.finish_reasons, "null" if reason is None else reason)
        if completion.model is not None:
            _tally(self.models, completion.model)
        provider = completion.extra.get("provider")
        if type(provider) is str:
            _tally(self.providers, provider)
        self.usage(completion.usage)

    def usage(self, usage: Usage | None) -> None:
        if usage is None:
            return
        self.usage_streams += 1
        for name in _USAGE_SUMS:
            value = getattr(usage, name)
            if type(value) is int:
                setattr(self, name, getattr(self, name) + value)
        for name, where in _USAGE_DETAILS:
            value = getattr(getattr(usage, where), name, None)
            if type(value) is int:
                setattr(self, name, getattr(self, name) + value)

    def merge(self, other: _Stats) -> None:
        """Add another part's counts to these (each worker's files, with -j)."""
        mine = self.__dict__
        for name, value in other.__dict__.items():
            if type(value) is dict:
                counts = mine[name]
                for key, n in value.items():
                    counts[key] = counts.get(key, 0) + n
            else:
                mine[name] += value

    def to_dict(self) -> dict[str, Any]:
        return {
            "streams": self.streams,
            "ok": self.ok,
            "failed": self.failed,
            "chunks": self.chunks,
            "bytes": self.bytes,
            **{name: _by_count(getattr(self, name)) for name in _TALLIES},
            "usage": {
                "streams": self.usage_streams,
                **{name: getattr(self, name) for name in _USAGE_SUMS},
                **{name: getattr(self, name) for name, _ in _USAGE_DETAILS},
            },
        }

    def table(self) -> list[str]:
        """The counts as an aligned table, one line each (for people; --json for programs)."""
        rows: list[tuple[str, int | str]] = [
            ("streams", self.streams),
            ("  ok", self.ok),
            ("  failed", self.failed),
            ("chunks", self.chunks),
            ("bytes", self.bytes),
        ]
        titles = {"finish_reasons": "finish reasons", "errors": "errors by type",
                  "warnings": "warnings by kind"}  # fmt: skip
        for name in _TALLIES:
            counts = _by_count(getattr(self, name))
            rows.append((titles.get(name, name), "" if counts else "none"))
            rows.extend((f"  {_label(key)}", n) for key, n in counts.items())
        rows.append(("usage (streams with usage)", self.usage_streams))
        rows.extend((f"  {name}", getattr(self, name)) for name in _USAGE_SUMS)
        rows.extend((f"  {name}", getattr(self, name)) for name, _ in _USAGE_DETAILS)
        shown = [(label, n if isinstance(n, str) else _grouped(n)) for label, n in rows]
        left = max(len(label) for label, _ in shown)
        right = max(len(value) for _, value in shown)
        return [f"  {label:<{left}}  {value:>{right}}".rstrip() for label, value in shown]


_LABEL_CHARS = 60  # a name in the --stats table is cut to this (--json has it whole)


def _label(key: str) -> str:
    """A model, provider, reason or kind as a row of the --stats table: escaped, cut to
    _LABEL_CHARS with "..." (one 5,000-character model name made every row 5,000 columns
    wide), and "" shown as '""' rather than as a blank row."""
    text = _escape(key)
    if not text:
        return '""'
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3] + "..."


def _grouped(n: int) -> str:
    """1,234,567: digits in groups of three, for any int (see _int_text)."""
    digits = _int_text(abs(n))
    head = len(digits) % 3 or 3
    groups = [digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))]
    return ("-" if n < 0 else "") + ",".join(groups)


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    """Most frequent first; ties in name order (a stable order for diffs and tests)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _text(choice: Choice | CompletionChoice) -> str | None:
    """What --text shows of a choice: its message's content, or a legacy choice's text."""
    if isinstance(choice, CompletionChoice):
        return choice.text
    return choice.message.content


class _LiveText:
    """--text: the content of the first choice to arrive, shown as the stream is accepted.

    ``arrived(chunks)`` names the live choice (the first choice of the first chunk that has
    one). ``show(snapshot)`` writes what the
    live choice's content gained since the last call, the Assembler's own text, so what is
    shown is the library's text, never more; ``finish`` catches up from the assembled (or
    partial) completion and writes the other choices, each introduced by "--- choice N ---"
    (as is the live choice, unless it is choice 0).
    """

    def __init__(self, out: _Out) -> None:
        self._out = out
        self.live: int | None = None
        self._started = False  # the live choice's header (if it needs one) is written
        self._written = 0  # characters of the live choice's content written
        self._shown_at = 0  # the input's bytes read when the content was last shown

    def arrived(self, chunks: Iterable[ChatCompletionChunk]) -> None:
        for chunk in chunks:
            for choice in chunk.choices or ():
                if self.live is None:
                    self.live = choice.index
                return

    def due(self, nbytes: int, size: int) -> bool:
        """Whether to show the content before the input is asked for more: after a read
        shorter than the most one read takes (a live source may pause here), or once the
        input doubled since it was last shown (a file read at full speed: joining the
        content so far costs about twice its size in all)."""
        if self.live is None or (size >= _READ_SIZE and nbytes < 2 * self._shown_at):
            return False
        self._shown_at = nbytes
        return True

    def show(self, snapshot: _Assembled) -> None:
        for choice in snapshot.choices:
            if choice.index != self.live:
                continue
            content = _text(choice)
            if content is None:
                return
            self._start()
            text = content[self._written :]
            if text.endswith("\ufffd"):  # maybe half a surrogate pair, the rest yet to come
                text = text[:-1]
            self._written += len(text)
            self._write(text)
            self._out.flush()
            return

    def finish(self, completion: _Assembled | None) -> None:
        if completion is not None:
            choices = completion.choices
            if self.live is None and choices:
                self.live = choices[0].index
            for choice in choices:
                if choice.index == self.live:
                    self._start()
                    self._write((_text(choice) or "")[self._written :])
            for choice in choices:
                if choice.index != self.live:
                    self._header(choice.index)
                    self._write(_text(choice) or "")
        if not self._out.at_line_start:
            self._out.write(b"\n")
        self._out.flush()

    def _start(self) -> None:
        if not self._started:
            self._started = True
            if self.live:
                self._header(self.live)

    def _header(self, index: int) -> None:
        if not self._out.at_line_start:
            self._out.write(b"\n")
        self._write(f"--- choice {index} ---\n")

    def _write(self, text: str) -> None:
        self._out.write(text.encode("utf-8", "replace"))


class _Report:
    """Part 3: what the run says. Writes the results (JSON, JSON Lines, --text, --events,
    --chunks) on stdout, warnings and errors on stderr (one escaped line each), keeps the
    counts for --stats and the progress line, and gives the exit status."""

    def __init__(
        self, args: argparse.Namespace, stdout: IO[bytes], stderr: IO[str], stdout_tty: bool
    ) -> None:
        self.mode = "completion"
        for mode in ("text", "events", "chunks", "quiet"):
            if getattr(args, mode):
                self.mode = mode
        self.out = _Out(stdout)
        self.stderr = stderr
        self.progress = _Progress(stderr, args.progress, stdout_tty)
        self.stats = _Stats()
        self.show_stats = ("json" if args.json else "table") if args.stats else ""
        self.files_done = 0
        self.files_total = 0
        self.text_sources = 0

    # -- stderr --------------------------------------------------------------------------------

    def say(self, line: str) -> None:
        self.write_err(_escape(line) + "\n")

    def write_err(self, text: str) -> None:
        """Lines for stderr, already escaped (with -j, what a worker's run said)."""
        self.progress.clear()
        try:
            self.stderr.write(text)
            self.stderr.flush()
        except (OSError, ValueError):
            pass

    def tick(self, final: bool = False) -> None:
        s = self.stats
        self.progress.update(self.files_done, self.files_total, s.streams, s.failed, final)

    def file_done(self) -> None:
        self.files_done += 1
        self.tick()

    def end(self) -> None:
        """The end of the run (also when it was cut short): the progress line goes, the
        --stats line comes."""
        self.tick(final=True)
        self.progress.clear()
        if self.show_stats == "json":
            self.say("chunkstream: stats: " + _json_text(self.stats.to_dict()))
        elif self.show_stats:
            self.write_err(
                "".join(line + "\n" for line in ["chunkstream: stats:", *self.stats.table()])
            )

    def status(self) -> int:
        return 1 if self.stats.failed else 0

    def warn(self, source: str, warnings: Sequence[StreamWarning], named: bool) -> None:
        prefix = f"{source}: " if named else ""
        for w in warnings:
            self.stats.warnings[w.kind] = self.stats.warnings.get(w.kind, 0) + 1
            self.say(f"chunkstream: warning: {prefix}{w}")

    # -- stdout --------------------------------------------------------------------------------

    def begin(self, capture: _Capture) -> None:
        """A stream starts: with --text, a named one gets its "==> SOURCE <==" line."""
        if self.mode == "text" and capture.named:
            self.header(capture.source)

    def header(self, source: str) -> None:
        """--text: the "==> SOURCE <==" line, after a blank line from the second on."""
        header = ("\n" if self.text_sources else "") + f"==> {_escape(source)} <==\n"
        self.out.write(header.encode("utf-8", "replace"))
        self.text_sources += 1

    def live_text(self) -> _LiveText:
        return _LiveText(self.out)

    def events(self, capture: _Capture, events: Iterable[ServerSentEvent]) -> None:
        for e in events:
            d = _event_dict(e)
            self.out.write(
                _dumps({"source": capture.source, "event": d} if capture.named else d, False)
            )

    def chunk(self, capture: _Capture, chunk: ChatCompletionChunk) -> list[StreamWarning]:
        """Writes one chunk; returns the warnings for the floats written as null."""
        changed: list[tuple[str, str]] = []
        d = chunk.to_dict()
        if capture.named:
            self.out.write(_dumps({"source": capture.source, "chunk": d}, False, changed))
        else:
            self.out.write(_dumps(d, False, changed))
        if not changed:
            return []
        cut = len(".chunk") if capture.named else 0
        return _not_json([(p[cut:], v) for p, v in changed])

    # -- results -------------------------------------------------------------------------------

    def completion(self, capture: _Capture, completion: _Assembled) -> None:
        source, named = capture.source, capture.named
        warnings = [capture.body.warning(w) for w in completion.warnings] + capture.body.notes
        if self.mode == "completion":
            changed: list[tuple[str, str]] = []
            if named:
                line = {
                    "source": source,
                    "completion": completion.to_dict(),
                    "warnings": [_warning_dict(w) for w in warnings],
                }
                data = _dumps(line, False, changed)
                if changed:  # rare: written again with the warnings that say so
                    warnings += _not_json([(p[len(".completion") :], v) for p, v in changed])
                    line["warnings"] = [_warning_dict(w) for w in warnings]
                    data = _dumps(line, False)
            else:
                data = _dumps(completion.to_dict(), True, changed)
                warnings += _not_json(changed)
            self.warn(source, warnings, named)
            self.out.write(data)
            self.out.flush()
        else:
            self.warn(source, warnings, named)
        self.stats.completed(completion)
        self.succeeded()

    def succeeded(self) -> None:
        self.stats.streams += 1
        self.stats.ok += 1
        self.tick()

    def failed(
        self,
        source: str,
        exc: Exception,
        named: bool = True,
        warnings: Sequence[StreamWarning] = (),
        partial: _Assembled | None = None,
    ) -> None:
        self.stats.streams += 1
        self.stats.failed += 1
        error = _error_dict(exc)
        self.stats.errors[error["type"]] = self.stats.errors.get(error["type"], 0) + 1
        data = None
        if named and self.mode in ("completion", "events", "chunks"):
            line: dict[str, Any] = {
                "source": source,
                "error": error,
                "warnings": [_warning_dict(w) for w in warnings],
            }
            if partial is not None:
                line["partial"] = partial.to_dict()
            changed: list[tuple[str, str]] = []
            data = _dumps(line, False, changed)
            if changed:  # rare: written again with the warnings that say so
                warnings = [*warnings, *_not_json([(p[len(".partial") :], v) for p, v in changed])]
                line["warnings"] = [_warning_dict(w) for w in warnings]
                data = _dumps(line, False)
        self.warn(source, warnings, named)
        prefix = f"{source}: " if named else ""
        self.say(f"chunkstream: error: {prefix}{exc}")
        if data is not None:
            self.out.write(data)
            self.out.flush()
        self.tick()


def _one_input(
    inputs: _Inputs, streams: _Streams, report: _Report, name: str, path: str | None
) -> None:
    """One input: its streams processed, its failures reported (the whole run, per input)."""
    items = inputs.streams(name, path)
    try:
        for item in items:
            if isinstance(item, _Capture):
                streams.process(item)
            else:
                report.failed(item.source, item.error, item.named)
            del item  # a record's body is not held while the next one is read
    finally:
        items.close()  # the file is closed, even when the run stops here


def _run(inputs: _Inputs, streams: _Streams, report: _Report, jobs: int = 1) -> int:
    """Every input, in order (with ``jobs`` > 1, in worker processes: see :func:`_pooled`)."""
    report.files_total = len(inputs.files)
    try:
        # No more workers than files (ProcessPoolExecutor takes at most 61 on Windows).
        jobs = min(jobs, len(inputs.files), 61 if sys.platform == "win32" else jobs)
        if jobs > 1:
            _pooled(inputs, streams, report, jobs)
        else:
            for name, path in inputs.files:
                _one_input(inputs, streams, report, name, path)
                report.file_done()
    finally:
        report.end()
    return report.status()


# =============================================================================================
# -j N: inputs assembled in worker processes, the output written by this one, in input order.
# =============================================================================================
#
# The unit of work is one input file (a batch of a few small ones per task, see _plan): a
# worker runs the same per-input code as the serial run (_one_input) on (name, path), with a
# _Report whose stdout and stderr are a _Tape, and hands back each file's tape and the task's
# _Stats.
# This process merges the stats (_Stats.merge) and plays the tapes back through its own
# report, in input order, so stdout, stderr (and their order on one terminal), the --stats
# counts and the exit status are those of the serial run. Whatever _Inputs reads (formats,
# containers) works in a worker as it does here: the worker gets a copy of this _Inputs.
#
# Bounded: at most 2 tasks per worker are in flight, and a task's tape holds at most
# _TAPE_BYTES; a task that would hold more stops at the file that went over and is sent again
# from there; a file over it alone is done by this process, streaming, as the serial run
# does. stdin and anything that is not a regular file (a FIFO, /dev/fd/N) are read by this
# process too, at their turn.

_TAPE_BYTES = 8 * 1024 * 1024  # the most one task's output may hold in memory
_TASK_FILES = 64  # the most files in one task (fewer when the batch is small: see _plan)
_TASK_BYTES = 1024 * 1024  # a task closes once its files hold this many bytes on disk
_OUT, _ERR, _HEAD = 0, 1, 2  # what a tape entry is: stdout bytes, stderr text, a --text header


class _TooBig(BaseException):
    """A worker's tape went over _TAPE_BYTES: the file is left to the main process."""


class _Tape:
    """What a run would have written, in order: stdout bytes, stderr text and --text headers
    (written by the main process, which knows whether a header comes first). Pieces are
    kept as written and joined once per file (joining as they come would copy the output
    over and over)."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, Any]] = []
        self.size = 0  # bytes held, over every file of the task

    def add(self, kind: int, data: Any) -> None:
        self.size += len(data)
        if self.size > _TAPE_BYTES:
            raise _TooBig
        self.entries.append((kind, data))

    def take(self) -> list[tuple[int, Any]]:
        """The file's entries, each run of stdout or stderr pieces joined into one."""
        entries, self.entries = self.entries, []
        out: list[tuple[int, Any]] = []
        start = 0
        for i in range(1, len(entries) + 1):
            kind = entries[start][0]
            if i < len(entries) and entries[i][0] == kind != _HEAD:
                continue
            if i - start == 1:
                out.append(entries[start])
            else:
                pieces = [data for _, data in entries[start:i]]
                out.append((kind, (b"" if kind == _OUT else "").join(pieces)))
            start = i
        return out


class _TapeOut:
    """stdout, on tape."""

    def __init__(self, tape: _Tape) -> None:
        self.tape = tape

    def write(self, data: bytes) -> int:
        self.tape.add(_OUT, data if type(data) is bytes else bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


class _TapeErr(_TapeOut):
    """stderr, on tape."""

    def write(self, data: str) -> int:  # type: ignore[override]
        self.tape.add(_ERR, data)
        return len(data)


class _TapeReport(_Report):
    """A worker's report: everything on tape, no progress line."""

    def __init__(self, args: argparse.Namespace, tape: _Tape) -> None:
        super().__init__(args, _TapeOut(tape), _TapeErr(tape), False)  # type: ignore[arg-type]
        self.progress.enabled = False
        self.tape = tape

    def header(self, source: str) -> None:
        self.tape.add(_HEAD, source)


_worker: tuple[_Inputs, _Streams, _TapeReport] | None = None


def _worker_start(inputs: _Inputs, args: argparse.Namespace) -> None:
    """A worker's start: Ctrl-C is the main process's to handle (a terminal sends SIGINT to
    every process of the job), so it is ignored here, then unblocked (the main process
    blocks it while it starts workers, see _pooled)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    global _worker
    report = _TapeReport(args, _Tape())
    _worker = (inputs, _Streams(args, report), report)


def _work(files: list[tuple[str, str | None]]) -> tuple[list[list[tuple[int, Any]]], _Stats]:
    """A task: each file's tape, in order, and the files' stats; fewer tapes than ``files``
    when the output went over _TAPE_BYTES (that file and the rest are left to the main
    process, and are not in the stats: the files before it are run again, rarely, so that
    the common case keeps one _Stats per task)."""
    assert _worker is not None
    inputs, streams, report = _worker
    tape = report.tape
    tape.size = 0
    report.stats = _Stats()
    tapes: list[list[tuple[int, Any]]] = []
    for name, path in files:
        report.out.at_line_start = True
        try:
            _one_input(inputs, streams, report, name, path)
        except _TooBig:
            tape.take()
            return _work(files[: len(tapes)]) if tapes else ([], _Stats())
        tapes.append(tape.take())
    return tapes, report.stats


def _plan(
    files: Sequence[tuple[str, str | None]], jobs: int
) -> Iterator[list[tuple[str, str | None]] | tuple[str, str | None]]:
    """The inputs in order, as tasks for the workers (lists of regular files) and inputs for
    this process (a tuple: stdin, anything that is not a regular file). A task takes a
    quarter of each worker's share of the files left, at most _TASK_FILES: many files per
    task while there are many (less overhead per file), fewer towards the end (no worker
    left waiting on a long last task)."""
    import stat

    group: list[tuple[str, str | None]] = []
    size = 0
    per_task = 1
    for i, (name, path) in enumerate(files):
        if not group:
            per_task = max(1, min(_TASK_FILES, (len(files) - i) // (jobs * 4)))
        try:
            st = os.stat(path) if path is not None else None
        except (OSError, ValueError):
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            if group:
                yield group
                group, size = [], 0
            yield (name, path)
            continue
        group.append((name, path))
        size += st.st_size
        if len(group) >= per_task or size >= _TASK_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


def _pool_context() -> Any:
    """The start method, chosen: "fork" on Linux when this process runs one thread (the
    command always does): workers start in milliseconds with the modules already imported,
    and ProcessPoolExecutor forks every worker at the first submit, before its own thread
    starts. With other threads running (main() called from a threaded program) fork could
    copy a lock another thread holds, and Python 3.12+ warns of it: then "forkserver" (what
    Python 3.14 made Linux's default), or "spawn" where there is no forkserver (Windows).
    macOS keeps its own default (spawn: fork is unsafe with its system libraries)."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if sys.platform.startswith("linux") and "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context()


def _pooled(inputs: _Inputs, streams: _Streams, report: _Report, jobs: int) -> None:
    import copy
    import itertools
    import signal
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    plan = _plan(inputs.files, jobs)
    window = 2 * jobs  # tasks in flight: one being worked on and one waiting, per worker
    ahead: deque[tuple[Any, Future[Any] | None]] = deque()
    running = 0
    pool: ProcessPoolExecutor | None = None
    mask = hasattr(signal, "pthread_sigmask")

    def submit(files: list[tuple[str, str | None]]) -> Future[Any]:
        nonlocal pool, running
        if pool is None:
            proto = copy.copy(inputs)  # what the workers need: no stdin, no list of files
            proto.stdin = None  # type: ignore[assignment]
            proto.files = []
            pool = ProcessPoolExecutor(jobs, _pool_context(), _worker_start, (proto, streams.args))
        # Workers start at a submit: SIGINT is blocked meanwhile, so that they inherit it
        # blocked (fork, spawn) and ignore it before they unblock it (_worker_start).
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if mask else None
        try:
            future = pool.submit(_work, files)
        finally:
            if old is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        running += 1
        return future

    def here(name: str, path: str | None) -> None:
        _one_input(inputs, streams, report, name, path)
        report.file_done()

    finished = False
    current = None  # the task whose result is awaited
    try:
        try:
            while True:
                while running < window:
                    item = next(plan, None)
                    if item is None:
                        break
                    ahead.append((item, None))
                    if isinstance(item, list):
                        ahead[-1] = (item, submit(item))
                if not ahead:
                    break
                item, future = ahead.popleft()
                if future is None:
                    here(*item)
                    continue
                current = item
                tapes, stats = future.result()
                current = None
                running -= 1
                # The task's counts first, as the serial run counts a failed stream before it
                # writes it: the status after a closed stdout includes the task being written.
                report.stats.merge(stats)
                for entries in tapes:
                    _play(report, entries)
                    report.file_done()
                report.out.flush()
                rest = item[len(tapes) :]  # the output went over _TAPE_BYTES at rest[0]
                if rest and not tapes:  # over it alone: this process does it, streaming
                    here(*rest.pop(0))
                if rest:  # the others go back to the workers, first in line
                    ahead.appendleft((rest, None))
                    ahead[0] = (rest, submit(rest))
        except BrokenProcessPool:
            # A worker was killed (out of memory, a signal): its tasks are lost, nothing of
            # them was written. This process goes on alone from the first file not written.
            report.say(
                "chunkstream: warning: a worker process ended abruptly; the files not yet "
                "written are read by the main process"
            )
            left = ([current] if current is not None else []) + [i for i, _ in ahead]
            ahead.clear()
            for item in itertools.chain(left, plan):
                for name, path in item if isinstance(item, list) else [item]:
                    here(name, path)
        finished = True
    finally:
        if pool is not None:
            if not finished:  # interrupted, or the reader went away: stop the workers now
                # A task in flight is not waited for (it may be a large input): the workers
                # are ended. CPython keeps them in _processes, the thread that joins them in
                # _executor_manager_thread and the results' pipe in _result_queue (3.8-3.14;
                # 3.14 also has terminate_workers()); shutdown() drops all three, so they are
                # taken first. A worker ended while it was sending a result leaves half a
                # message in the pipe, which the pool's thread would wait on for ever: once
                # the workers are gone, this process closes its own end for writing, so that
                # the thread reads the end of the pipe instead.
                processes = list((getattr(pool, "_processes", None) or {}).values())
                manager = getattr(pool, "_executor_manager_thread", None)
                results = getattr(pool, "_result_queue", None)
                for _, future in ahead:
                    if future is not None:
                        future.cancel()
                pool.shutdown(wait=False, cancel_futures=True)
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.join()
                writer = getattr(results, "_writer", None)
                if writer is not None:
                    writer.close()
                if manager is not None:
                    manager.join()
            pool.shutdown(wait=True)


def _play(report: _Report, entries: list[tuple[int, Any]]) -> None:
    """A worker's tape, written through this process's report. stdout is flushed before
    stderr is written (they may be one terminal or file: the serial run's order), and after
    each task (see _pooled)."""
    for kind, data in entries:
        if kind == _OUT:
            report.out.write(data)
        elif kind == _ERR:
            report.out.flush()
            report.write_err(data)
        else:
            report.header(data)


# =============================================================================================
# Arguments and main().
# =============================================================================================


def _cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:  # -1 was told "expected a number >= 0", and then 0 ">= 1"
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse's usage errors quote arguments as given: shown escaped, on one line."""

    def error(self, message: str) -> NoReturn:
        super().error(_escape(message))


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="chunkstream",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="a capture, a directory of captures, or - for stdin",
    )
    show = p.add_mutually_exclusive_group()
    show.add_argument(
        "--text", action="store_true", help="print the content as it arrives instead of JSON"
    )
    show.add_argument(
        "--events", action="store_true", help="print JSON Lines of the decoded Server-Sent Events"
    )
    show.add_argument(
        "--chunks", action="store_true", help="print JSON Lines of the decoded chunks"
    )
    show.add_argument(
        "--encode",
        action="store_true",
        help="read each FILE as a chat.completion JSON object and write a stream of it (SSE)",
    )
    show.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing on stdout: only check (exit status, stderr)",
    )
    p.add_argument(
        "--lenient",
        action="store_true",
        help="never fail on a bad or inconsistent stream: keep everything, warn "
        "(stderr and the JSON Lines output)",
    )
    p.add_argument(
        "--format",
        choices=_FORMATS,
        help="the input format (default: detected per input, see below)",
    )
    p.add_argument(
        "--field", metavar="PATH", help="records: the dotted path of the field holding the SSE body"
    )
    p.add_argument(
        "--group-by",
        metavar="PATH",
        help="chunks: split a log of several streams by this field of each line (dotted "
        "path; default: id, see below); applies to the inputs read as chunks",
    )
    p.add_argument(
        "--jsonl", action="store_true", help="JSON Lines with sources even for a single input"
    )
    p.add_argument(
        "--glob",
        default="*",
        metavar="PATTERN",
        help="in directories, read the files whose name matches (default: *)",
    )
    p.add_argument(
        "--stats",
        action="store_true",
        help="end with a summary on stderr: streams, chunks, bytes, finish reasons, models, "
        "providers, errors, warnings, usage (a table; one JSON line with --json)",
    )
    p.add_argument("--json", action="store_true", help="--stats as one JSON line, for programs")
    p.add_argument(
        "-j",
        "--jobs",
        type=_non_negative,
        default=1,
        metavar="N",
        help="assemble inputs in N processes, one input file at a time; 0 = one per usable "
        "core (default: 1, this process only)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress line on stderr: counts, rate, ETA (default: when stderr is a "
        "terminal and stdout is not)",
    )
    p.add_argument(
        "--created-tolerance",
        type=_non_negative,
        default=600,
        metavar="SECONDS",
        help="how far 'created' may move forward within a stream (default: 600)",
    )
    p.add_argument(
        "--max-event-bytes",
        type=_non_negative,
        default=DEFAULT_MAX_EVENT_BYTES,
        metavar="N",
        help=f"the most one event may hold; 0 = no limit (default: {DEFAULT_MAX_EVENT_BYTES})",
    )
    p.add_argument(
        "--max-record-bytes",
        type=_non_negative,
        default=DEFAULT_MAX_RECORD_BYTES,
        metavar="N",
        help="the most one record line (records) or one HAR file may hold; 0 = no limit "
        f"(default: {DEFAULT_MAX_RECORD_BYTES})",
    )
    p.add_argument(
        "--max-open-streams",
        type=_positive,
        default=DEFAULT_MAX_OPEN_STREAMS,
        metavar="N",
        help="chunks: the most streams of one log assembled at once (default: "
        f"{DEFAULT_MAX_OPEN_STREAMS})",
    )
    p.add_argument(
        "--pieces",
        type=_pieces,
        metavar="N|tokens",
        help="--encode: characters per piece of text, or tokens (default: 16)",
    )
    p.add_argument("-V", "--version", action="version", version=f"chunkstream {__version__}")
    return p


def _pieces(text: str) -> int | str:
    return text if text == "tokens" else _positive(text)


# The options that read streams, which --encode (reading completions) does not take.
_STREAM_OPTIONS = {
    "lenient": "--lenient",
    "format": "--format",
    "field": "--field",
    "group_by": "--group-by",
    "jsonl": "--jsonl",
    "stats": "--stats",
    "progress": "--progress",
}


def _encode_all(
    names: list[str], pieces: int | str | None, stdin: IO[bytes], out: _Out, err: IO[str]
) -> int:
    """--encode: each input, one chat.completion JSON object, written back as an SSE body
    (``encode``). A failed input is an error line, named when there are several; the exit
    status is 1 when any failed (a closed stdout ends the run with the status so far)."""
    status = 0
    try:
        for name in names:
            status |= _encode_one(name, len(names) > 1, pieces, stdin, out, err)
        out.flush()
    except _StdoutClosed:
        _stdout_to_devnull()
    return status


def _encode_one(
    name: str, named: bool, pieces: int | str | None, stdin: IO[bytes], out: _Out, err: IO[str]
) -> int:
    label = _STDIN if name == "-" else name
    try:
        if name == "-":
            raw = stdin.read()
        else:
            with open(name, "rb") as f:
                raw = f.read()
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise _InputError(
                f"expected a chat.completion JSON object, got text that is not JSON "
                f"({_json_why(exc)})"
            ) from None
        body = encode(obj, pieces=pieces)
    except OSError as exc:
        problem: Exception = _InputError.reading(name, exc)
    except (_InputError, ChunkstreamError) as exc:
        problem = exc
    else:
        out.write(body)
        return 0
    prefix = f"{label}: " if named else ""
    err.write(_escape(f"chunkstream: error: {prefix}{problem}") + "\n")
    return 1


def _stdout_to_devnull() -> None:
    """After stdout was closed (| head): point it at /dev/null so that the flush at exit does
    not fail once more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status: 0 every input succeeded, 1 an input
    failed, 130 interrupted. Usage errors raise ``SystemExit(2)``, as argparse does."""
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        if args.format == "records" and not args.field:
            parser.error("--format records needs --field PATH (the field holding the SSE body)")
        if args.field is not None and args.format not in (None, "records"):
            parser.error(f"--field reads records; it does not apply to --format {args.format}")
        if args.field is not None and "" in args.field.split("."):
            parser.error(f"--field expects a dotted path like response.body, got {args.field!r}")
        if args.group_by is not None:
            if "" in args.group_by.split("."):
                parser.error(f"--group-by expects a dotted path like id, got {args.group_by!r}")
            if args.format not in (None, "chunks") or args.field is not None:
                parser.error("--group-by splits JSON Lines of chunks (--format chunks)")
            if args.chunks or args.events:
                parser.error("--group-by does not apply to --chunks or --events")
        if args.files.count("-") > 1:
            parser.error("stdin (-) can be read only once")
        if args.jsonl and (args.text or args.quiet):
            parser.error("--jsonl does not apply to --text or --quiet")
        if args.json and not args.stats:
            parser.error("--json is the form of the --stats summary: add --stats")
        if args.pieces is not None and not args.encode:
            parser.error("--pieces applies to --encode")
        if args.encode:
            for key, flag in _STREAM_OPTIONS.items():
                if getattr(args, key) not in (None, False):
                    parser.error(f"{flag} reads streams; it does not apply to --encode")
            if args.jobs != 1:
                parser.error("-j reads streams; it does not apply to --encode")
            out = _Out(_binary(sys.stdout))
            return _encode_all(args.files, args.pieces, _binary(sys.stdin), out, sys.stderr)
        jobs = args.jobs or _cores()
        report = _Report(args, _binary(sys.stdout), sys.stderr, _isatty(sys.stdout))
        try:
            return _run(_Inputs(args, _binary(sys.stdin)), _Streams(args, report), report, jobs)
        except _StdoutClosed:
            # The reader went away (| head): end quietly with the status so far.
            _stdout_to_devnull()
            return report.status()
        finally:
            report.progress.clear()
    except KeyboardInterrupt:
        return 130
