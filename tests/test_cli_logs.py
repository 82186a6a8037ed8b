"""The CLI's input side at scale: chunk logs holding many streams (split by id or --group-by)
and compressed inputs (gzip, bzip2, xz). Expected values come from the fixtures' hand-derived
``.expected.json`` files and from the input bytes written here, never from a run of the CLI."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chunkstream._cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = Path(os.environ.get("CHUNKSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")


class SmallReads(io.RawIOBase):
    """A stdin that returns at most ``size`` bytes a read (a pipe written slowly)."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data = data
        self.pos = 0
        self.size = size

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        block = self.data[self.pos : self.pos + min(n, self.size)]
        self.pos += len(block)
        return block

    read = read1


class Stdin:
    def __init__(self, data: bytes, size: int) -> None:
        self.buffer = SmallReads(data, size)


Run = Callable[..., tuple[int, bytes, str]]


@pytest.fixture
def run(capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch) -> Run:
    def go(*args: object, stdin: bytes = b"", size: int = 1 << 20) -> tuple[int, bytes, str]:
        monkeypatch.setattr(sys, "stdin", Stdin(stdin, size))
        monkeypatch.chdir(ROOT)
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:
            rc = exc.code  # type: ignore[assignment]
        out, err = capsysbinary.readouterr()
        assert b"Traceback" not in err
        return rc, out, err.decode()

    return go


def expected(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))["strict"][
        "completion"
    ]  # type: ignore[no-any-return]


def chunks(name: str) -> list[dict[str, Any]]:
    """The fixture's chunk objects, in order ([DONE] left out)."""
    text = (FIXTURES / f"{name}.sse").read_text(encoding="utf-8")
    datas = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    return [json.loads(d) for d in datas if d != "[DONE]"]


def renamed(objs: list[dict[str, Any]], new_id: str, mark: str) -> list[dict[str, Any]]:
    """The same stream under another id, its content marked so that the two differ."""
    out = []
    for obj in objs:
        obj = json.loads(json.dumps(obj))
        obj["id"] = new_id
        for c in obj.get("choices") or ():
            if c.get("delta", {}).get("content"):
                c["delta"]["content"] = mark + c["delta"]["content"]
        out.append(obj)
    return out


def completion_of(
    objs: list[dict[str, Any]], want: dict[str, Any], new_id: str, mark: str
) -> dict[str, Any]:
    """``want`` (a fixture's completion) as ``renamed`` changes it: the id, and the content
    joined from the marked deltas."""
    want = json.loads(json.dumps(want))
    want["id"] = new_id
    text = "".join(c["delta"].get("content") or "" for o in objs for c in o.get("choices") or ())
    want["choices"][0]["message"]["content"] = text
    return want


def lines_of(objs: list[Any]) -> bytes:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs).encode()


def jsonl(out: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.decode().splitlines()]


def offsets(data: bytes) -> list[int]:
    """The byte offset of each line (line n at index n - 1)."""
    starts = [0]
    for raw in data.split(b"\n")[:-1]:
        starts.append(starts[-1] + len(raw) + 1)
    return starts


A = "chatcmpl-BqX7f2KpLmN4sT9vWcY1zR8aD3eHj"  # the id in openai-text-usage


def two_streams() -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], dict[str, Any], dict[str, Any]
]:
    a = chunks("openai-text-usage")
    assert {o["id"] for o in a} == {A}  # premise
    b = renamed(a, "chatcmpl-B", "b:")
    want = expected("openai-text-usage")
    return a, b, want, completion_of(b, want, "chatcmpl-B", "b:")


# ---------------------------------------------------------------------------------------------
# Chunk logs of several streams.


@pytest.mark.parametrize("size", [1, 2, 3, 1 << 20])
def test_interleaved_streams_are_each_assembled_in_order_of_first_appearance(
    run: Run, tmp_path: Path, size: int
) -> None:
    a, b, want_a, want_b = two_streams()
    # A1 B1 A2 B2 ...: B ends (its [DONE]) before A's last lines, yet A is written first.
    mixed: list[Any] = []
    for x, y in zip(a, b, strict=True):
        mixed += [x, y]
    mixed.insert(mixed.index(b[-1]) + 1, "[DONE]")
    data = lines_of([*mixed, a[-1]])  # a usage chunk again: A's last line comes after B's end
    rc, out, err = run("-", stdin=data, size=size)
    assert (rc, err) == (0, "")
    first, second = jsonl(out)
    assert first["source"] == f"<stdin>@{A}" and second["source"] == "<stdin>@chatcmpl-B"
    assert first["completion"] == want_a
    assert second["completion"] == want_b


def test_sequential_streams_with_and_without_done_lines(run: Run, tmp_path: Path) -> None:
    a, b, want_a, want_b = two_streams()
    for done in (["[DONE]"], []):
        path = tmp_path / "seq.jsonl"
        path.write_bytes(lines_of([*a, *done, *b, *done]))
        rc, out, err = run(path)
        assert (rc, err) == (0, "")
        assert [(o["source"], o["completion"]) for o in jsonl(out)] == [
            (f"{path}@{A}", want_a),
            (f"{path}@chatcmpl-B", want_b),
        ]


def test_text_of_a_log_of_several_streams(run: Run, tmp_path: Path) -> None:
    a, b, want_a, want_b = two_streams()
    mixed = [o for pair in zip(a, b, strict=True) for o in pair]
    path = tmp_path / "log.jsonl"
    path.write_bytes(lines_of(mixed))
    rc, out, err = run("--text", path)
    assert (rc, err) == (0, "")
    text_a = want_a["choices"][0]["message"]["content"]
    text_b = want_b["choices"][0]["message"]["content"]
    assert out.decode() == (
        f"==> {path}@{A} <==\n{text_a}\n\n==> {path}@chatcmpl-B <==\n{text_b}\n"
    )


def test_an_error_in_one_stream_is_located_by_its_line_in_the_file(
    run: Run, tmp_path: Path
) -> None:
    a, b, want_a, _ = two_streams()
    mixed: list[Any] = [o for pair in zip(a, b, strict=True) for o in pair]
    # A line that is not JSON after B's third chunk (no id: it belongs to the line before it).
    bad = mixed.index(b[2]) + 1
    mixed.insert(bad, "not json")
    path = tmp_path / "log.jsonl"
    data = lines_of(mixed)
    path.write_bytes(data)
    at = offsets(data)[bad]
    rc, out, err = run(path)
    assert rc == 1
    first, second = jsonl(out)
    assert first["completion"] == want_a
    message = (
        f"line {bad + 1}: expected JSON in the event's data (Expecting value: line 1 column 1), "
        f"got str 'not json' (chunk 3, byte {at})"
    )
    assert second["error"] == {
        "type": "ChunkError",
        "message": message,
        "chunk_index": 3,
        "byte_offset": at,
    }
    assert err.endswith(f"chunkstream: error: {path}@chatcmpl-B: {message}\n")
    # The no-id warning says the line was taken for the line before it's stream (B's).
    assert second["warnings"] == [
        {
            "kind": "group",
            "message": f"line {bad + 1}: no id: taken to belong to the stream of the line "
            f"before it ('chatcmpl-B'), one of 2 streams open (byte {at})",
            "chunk_index": None,
            "byte_offset": at,
            "path": None,
            "field": None,
        }
    ]


def test_a_single_id_log_reads_exactly_as_one_stream(run: Run, tmp_path: Path) -> None:
    # Azure sends its first chunk with id "" (prompt filter results): no id of its own, it
    # belongs to the stream that follows; the file is one stream, named as the file.
    want = expected("azure-content-filter")
    objs = chunks("azure-content-filter")
    assert objs[0]["id"] == "" and len({o["id"] for o in objs}) == 2  # premise
    path = tmp_path / "azure.jsonl"
    path.write_bytes(lines_of([*objs, "[DONE]"]))
    rc, out, err = run(path)
    assert (rc, err) == (0, "")
    assert json.loads(out) == want
    # Lines after [DONE] of the one stream are not read (the stream layer's rule), as before.
    path.write_bytes(lines_of([*objs, "[DONE]", objs[1], "not json"]))
    rc, out, err = run(path)
    assert (rc, err) == (0, "")
    assert json.loads(out) == want


def test_a_line_after_the_done_that_ended_its_stream_is_a_warning(run: Run, tmp_path: Path) -> None:
    a, b, want_a, want_b = two_streams()
    # A, [DONE] (ends A: the stream of the line before it), B, then a stray A line.
    data = lines_of([*a, "[DONE]", *b, a[1], a[2]])
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    rc, out, err = run(path)
    assert rc == 0
    late = len(a) + 1 + len(b) + 1
    assert err == (
        f"chunkstream: warning: {path}@{A}: line {late}: a line of id '{A}' after the [DONE] "
        f"that ended its stream on line {len(a) + 1}: not read, nor any later line of it "
        f"(byte {offsets(data)[late - 1]})\n"
    )
    assert [o["completion"] for o in jsonl(out)] == [want_a, want_b]


def test_group_by_a_field_of_the_line(run: Run, tmp_path: Path) -> None:
    # A gateway that adds its own request field to each chunk line; the provider sends a new
    # id with every chunk (as Groq's compound models do): by id that would be cut in pieces.
    a, b, want_a, want_b = two_streams()
    lines: list[Any] = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        lines.append({**x, "id": f"a{i}", "meta": {"trace": "t-a"}})
        lines.append({**y, "id": f"b{i}", "meta": {"trace": 7}})
    path = tmp_path / "log.jsonl"
    path.write_bytes(lines_of(lines))
    rc, out, _ = run("--lenient", "--group-by", "meta.trace", path)
    assert rc == 0
    first, second = jsonl(out)
    assert (first["source"], second["source"]) == (f"{path}@t-a", f"{path}@7")
    for line, want in ((first, want_a), (second, want_b)):
        got = line["completion"]
        # The gateway's field is a vendor field of the chunks: kept, as the library keeps it.
        assert got.pop("meta") in ({"trace": "t-a"}, {"trace": 7})
        assert {w["kind"] for w in line["warnings"]} == {"inconsistent"}  # the changing ids
        assert got["id"] in ("a0", "b0")
        assert got["choices"] == want["choices"]


def test_a_provider_that_changes_its_id_stays_one_stream(run: Run, tmp_path: Path) -> None:
    # Groq's compound models send a new id with every chunk: the earlier id never comes back,
    # so the file is read as one stream, as before (the library's id rule: strict fails on the
    # second id; lenient keeps the first and warns), with a warning saying why.
    path = CORPUS / "groq" / "compound-web-search.sse"
    if not path.exists():
        pytest.skip("the shared corpus is not there")
    text = path.read_text(encoding="utf-8")
    datas = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    objs = [json.loads(d) for d in datas if d != "[DONE]"]
    assert len({o["id"] for o in objs}) == len(objs) > 100  # premise: one id per chunk
    log = tmp_path / "groq.jsonl"
    data = lines_of(datas)
    log.write_bytes(data)
    rc_sse, out_sse, _ = run("--lenient", "--jsonl", path)
    rc, out, err = run("--lenient", "--jsonl", log)
    assert rc == rc_sse == 0
    [line] = jsonl(out)
    [sse] = jsonl(out_sse)
    assert line["source"] == str(log)
    assert line["completion"] == sse["completion"]
    note = {
        "kind": "split",
        "message": f"line 2: id {objs[1]['id']!r} begins while the stream of {objs[0]['id']!r} "
        f"is unfinished, and {objs[0]['id']!r} does not come back: read as one stream (a "
        f"provider that changes the id within one response) (byte {offsets(data)[1]})",
        "chunk_index": None,
        "byte_offset": offsets(data)[1],
        "path": None,
        "field": None,
    }
    assert note in line["warnings"]
    rc, out, err = run(log)
    assert rc == 1
    assert err == (
        f"chunkstream: warning: {note['message']}\n"
        f"chunkstream: error: line 2: expected id {objs[0]['id']!r} (as in chunk 0) at .id, "
        f"got str {objs[1]['id']!r} (chunk 1, byte {offsets(data)[1]})\n"
    )


def test_a_stream_cut_by_a_new_id_in_a_split_log_says_so(run: Run, tmp_path: Path) -> None:
    # In a log already split (A and B interleave), a provider that sends a new id with each
    # chunk makes one-line streams that never finish: each failed piece says why.
    a, b, _, _ = two_streams()
    c = renamed(a, "x", "")
    c[0]["id"], c[1]["id"] = "c0", "c1"
    data = lines_of([a[0], b[0], a[1], c[0], c[1], *a[2:], *b[1:]])
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    rc, out, _ = run(path)
    assert rc == 1
    results = {o["source"]: o for o in jsonl(out)}
    piece = results[f"{path}@c0"]
    assert piece["error"]["type"] == "TruncatedStreamError"
    assert {
        "kind": "split",
        "message": f"line {len(data.splitlines())}: this stream stops unfinished where id 'c1' "
        "begins (line 5) and never goes on: if its provider changes the id within one "
        "response, the split by id cut it (group the log by a field of the request with "
        f"--group-by) (byte {len(data)})",
        "chunk_index": None,
        "byte_offset": len(data),
        "path": None,
        "field": None,
    } in piece["warnings"]


def test_max_open_streams_ends_the_oldest_and_a_later_line_of_it_is_an_error(
    run: Run, tmp_path: Path
) -> None:
    a, b, want_a, want_b = two_streams()
    c = renamed(a, "chatcmpl-C", "c:")
    # A1 B1 C1 (a third stream: A, the first to begin, is ended there), then A2: an error.
    data = lines_of([a[0], b[0], c[0], a[1], *b[1:], *c[1:]])
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    rc, out, _ = run("--max-open-streams", 2, path)
    assert rc == 1
    results = jsonl(out)
    starts = offsets(data)
    assert [o["source"] for o in results] == [
        f"{path}@{A}",
        f"{path}@{A}",
        f"{path}@chatcmpl-B",
        f"{path}@chatcmpl-C",
    ]
    ended, late, *rest = results
    assert ended["error"]["type"] == "TruncatedStreamError"
    assert ended["error"]["message"] == (
        "line 3: stream ended before [DONE] with choice(s) 0 unfinished (no finish_reason) "
        f"(chunk 1, byte {starts[2]})"
    )
    assert ended["warnings"][0]["message"] == (
        "line 3: more than 2 streams open at once (--max-open-streams): the one that began "
        f"first ends here, unfinished (byte {starts[2]})"
    )
    assert late["error"] == {
        "type": "InputError",
        "message": f"line 4: a line of id '{A}' after its stream was ended on line 3 to keep at "
        "most 2 streams open (--max-open-streams): not read, nor any later line of it",
        "chunk_index": None,
        "byte_offset": None,
    }
    assert rest[0]["completion"] == want_b
    assert rest[1]["completion"] == completion_of(c, want_a, "chatcmpl-C", "c:")


def test_many_streams_are_assembled_with_memory_bounded_by_the_open_ones(tmp_path: Path) -> None:
    # 3,000 short streams one after the other, no [DONE]: each finished stream is written and
    # let go once the cap needs room; memory does not grow with the number of streams.
    def log(n: int) -> Path:
        lines = []
        for i in range(n):
            base = {"id": f"r{i}", "object": "chat.completion.chunk", "created": 1, "model": "m"}
            lines.append(
                {
                    **base,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": "x" * 200},
                            "finish_reason": None,
                        }
                    ],
                }
            )
            lines.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        path = tmp_path / f"many{n}.jsonl"
        path.write_bytes(lines_of(lines))
        return path

    peaks = []
    for n in (300, 3000):
        path = log(n)
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, io.StringIO()
        tracemalloc.start()
        try:
            rc = main(["-q", "--stats", "--json", "--max-open-streams", "20", str(path)])
            peaks.append(tracemalloc.get_traced_memory()[1])
            err = sys.stderr.getvalue()  # type: ignore[attr-defined]
        finally:
            tracemalloc.stop()
            sys.stdout, sys.stderr = saved
        assert rc == 0, err
        stats = json.loads(err.split("chunkstream: stats: ", 1)[1])
        assert (stats["streams"], stats["ok"], stats["warnings"]) == (n, n, {})
    assert peaks[1] < 2 * peaks[0] + 1_000_000, peaks


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group-by", ""], "--group-by expects a dotted path like id, got ''"),
        (["--group-by", "a..b"], "--group-by expects a dotted path like id, got 'a..b'"),
        (
            ["--group-by", "id", "--format", "sse"],
            "--group-by splits JSON Lines of chunks (--format chunks)",
        ),
        (
            ["--group-by", "id", "--field", "body"],
            "--group-by splits JSON Lines of chunks (--format chunks)",
        ),
        (["--group-by", "id", "--chunks"], "--group-by does not apply to --chunks or --events"),
        (["--max-open-streams", "0"], "argument --max-open-streams: expected a number >= 1, got 0"),
    ],
)
def test_group_by_usage_errors(run: Run, args: list[str], message: str) -> None:
    rc, out, err = run(*args, "-")
    assert (rc, out) == (2, b"")
    assert err.endswith(f"chunkstream: error: {message}\n")


def test_chunks_mode_reads_a_log_as_one_stream(run: Run, tmp_path: Path) -> None:
    # --chunks prints each line's chunk as read (checked one by one, not split).
    a, b, _, _ = two_streams()
    mixed = [o for pair in zip(a, b, strict=True) for o in pair]
    path = tmp_path / "log.jsonl"
    path.write_bytes(lines_of(mixed))
    rc, out, err = run("--chunks", path)
    assert (rc, err) == (0, "")
    assert [o["id"] for o in jsonl(out)] == [o["id"] for o in mixed]


# ---------------------------------------------------------------------------------------------
# Compressed inputs.

COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
}


def sse(name: str) -> bytes:
    return (FIXTURES / f"{name}.sse").read_bytes()


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_a_compressed_file_is_read_as_its_content(run: Run, tmp_path: Path, kind: str) -> None:
    # Told by its bytes: a gzip file named .sse is decompressed, a plain file named .gz is not.
    packed = tmp_path / "capture.sse"
    packed.write_bytes(COMPRESS[kind](sse("openai-text-usage")))
    plain = tmp_path / f"plain.sse.{kind}"
    plain.write_bytes(sse("openai-text-usage"))
    for path in (packed, plain):
        rc, out, err = run(path)
        assert (rc, err) == (0, "")
        assert json.loads(out) == expected("openai-text-usage")


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1 << 20])
@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_compressed_stdin_in_any_reads(run: Run, kind: str, size: int) -> None:
    rc, out, err = run("--text", "-", stdin=COMPRESS[kind](sse("openai-text-usage")), size=size)
    assert (rc, err) == (0, "")
    assert out.decode() == expected("openai-text-usage")["choices"][0]["message"]["content"] + "\n"


@pytest.mark.parametrize("size", [1, 2, 3, 1 << 20])
def test_a_plain_input_that_starts_like_a_magic_number_is_read_plain(run: Run, size: int) -> None:
    for head in (b"\x1f\x8b", b"BZh", b"BZhx", b"\xfd7zX"):
        rc, _, err = run("-", stdin=head + b"\n", size=size)
        assert rc == 1
        assert "expected an event stream" in err, (head, err)


def test_directories_pick_compressed_files_by_their_name_without_the_suffix(
    run: Run, tmp_path: Path
) -> None:
    body = sse("openai-text-usage")
    (tmp_path / "a.sse").write_bytes(body)
    for kind, pack in COMPRESS.items():
        (tmp_path / f"b.sse.{kind}").write_bytes(pack(body))
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(b"not picked"))
    rc, out, err = run("--glob", "*.sse", tmp_path)
    assert (rc, err) == (0, "")
    results = jsonl(out)
    assert [Path(o["source"]).name for o in results] == [
        "a.sse",
        "b.sse.bz2",
        "b.sse.gz",
        "b.sse.xz",
    ]
    assert all(o["completion"] == expected("openai-text-usage") for o in results)
    rc, out, err = run("--glob", "*.sse.gz", tmp_path)
    assert [Path(o["source"]).name for o in jsonl(out)] == ["b.sse.gz"]


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_every_format_is_detected_inside_a_compressed_file(
    run: Run, tmp_path: Path, kind: str
) -> None:
    pack = COMPRESS[kind]
    want = expected("openai-text-usage")
    objs = chunks("openai-text-usage")
    body = sse("openai-text-usage").decode()
    # chunks, and a log of two streams
    path = tmp_path / "log"
    path.write_bytes(pack(lines_of(objs)))
    rc, out, err = run(path)
    assert (rc, err, json.loads(out)) == (0, "", want)
    b = renamed(objs, "chatcmpl-B", "b:")
    path.write_bytes(pack(lines_of([o for pair in zip(objs, b, strict=True) for o in pair])))
    rc, out, err = run(path)
    assert [o["completion"] for o in jsonl(out)] == [
        want,
        completion_of(b, want, "chatcmpl-B", "b:"),
    ]
    # records
    path.write_bytes(pack(lines_of([{"response": {"body": body}}])))
    rc, out, err = run("--field", "response.body", path)
    assert (rc, err) == (0, "")
    assert [(o["source"], o["completion"]) for o in jsonl(out)] == [(f"{path}:1", want)]
    # HAR
    har = {
        "log": {
            "entries": [{"response": {"content": {"mimeType": "text/event-stream", "text": body}}}]
        }
    }
    path.write_bytes(pack(json.dumps(har).encode()))
    rc, out, err = run(path)
    assert (rc, err) == (0, "")
    assert [(o["source"], o["completion"]) for o in jsonl(out)] == [(f"{path}#0", want)]


@pytest.mark.parametrize("size", [1, 2, 3, 1 << 20])
def test_concatenated_gzip_members_are_one_input(run: Run, size: int) -> None:
    body = sse("openai-text-usage")
    for cut in (1, len(body) // 3, len(body) - 1):
        data = gzip.compress(body[:cut]) + gzip.compress(body[cut:])
        rc, out, err = run("-", stdin=data, size=size)
        assert (rc, err) == (0, "")
        assert json.loads(out) == expected("openai-text-usage")


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_a_cut_compressed_file_is_a_located_error_or_lenient_what_arrived(
    run: Run, tmp_path: Path, kind: str
) -> None:
    body = sse("openai-text-usage")
    packed = COMPRESS[kind](body)
    path = tmp_path / f"cut.sse.{kind}"
    kept = len(packed) // 2
    path.write_bytes(packed[:kept])
    name = {"gz": "gzip", "bz2": "bzip2", "xz": "xz"}[kind]
    rc, out, err = run(path)
    assert (rc, out) == (1, b"")
    prefix = (
        f"chunkstream: error: cannot read {str(path)!r}: the {name} data ends before the end of "
        "its compressed stream: the file is cut, after "
    )
    assert err.startswith(prefix), err
    produced = int(err[len(prefix) :].split(" ", 1)[0])
    assert 0 <= produced <= len(body)
    assert err.endswith(f"bytes of decompressed data (compressed bytes read: {kept})\n")
    rc, out, _ = run("--jsonl", path)
    [line] = jsonl(out)
    assert (rc, line["error"]["type"]) == (1, "CompressedDataError")
    assert "chunkstream: error: " + str(path) + ": " + line["error"]["message"] == err[:-1].replace(
        "chunkstream: error: ", f"chunkstream: error: {path}: ", 1
    )
    rc, out, err = run("--lenient", "--jsonl", path)
    [line] = jsonl(out)
    if kind == "bz2":  # one bzip2 block holds the whole file: none of it comes before its end
        assert (rc, line["error"]["type"], produced) == (1, "CompressedDataError", 0)
        return
    assert rc == 0
    assert any(
        w["kind"] == "truncated" and "CompressedDataError" in w["message"] for w in line["warnings"]
    ), line["warnings"]


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_corrupt_compressed_data_is_an_error_of_its_own_type(
    run: Run, tmp_path: Path, kind: str
) -> None:
    body = sse("openai-text-usage")
    packed = bytearray(COMPRESS[kind](body))
    if kind == "gz":
        packed[10] = 0xFF  # the first deflate block: type 3, which is reserved (RFC 1951)
    else:  # bzip2 and xz check each block's CRC before giving its data
        middle = len(packed) // 2
        packed[middle : middle + 8] = bytes(b ^ 0xFF for b in packed[middle : middle + 8])
    path = tmp_path / f"bad.{kind}"
    path.write_bytes(bytes(packed))
    rc, out, _ = run("--jsonl", path)
    assert rc == 1
    [line] = jsonl(out)
    assert line["error"]["type"] == "CompressedDataError"
    name = {"gz": "gzip", "bz2": "bzip2", "xz": "xz"}[kind]
    assert line["error"]["message"].startswith(
        f"cannot read {str(path)!r}: the {name} data is corrupt ("
    )
    assert "bytes of decompressed data (compressed bytes read: " in line["error"]["message"]


def test_a_decompression_bomb_is_bounded_by_the_event_limit(tmp_path: Path) -> None:
    # 64 MB of one event, compressed to a few hundred KB: read in pieces, never held whole.
    big = b"data: " + b"x" * (64 << 20) + b"\n\n"
    path = tmp_path / "bomb.sse.gz"
    path.write_bytes(gzip.compress(big, compresslevel=9))
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, io.StringIO()
    tracemalloc.start()
    try:
        rc = main(["--max-event-bytes", "1000", str(path)])
        peak = tracemalloc.get_traced_memory()[1]
        err = sys.stderr.getvalue()  # type: ignore[attr-defined]
    finally:
        tracemalloc.stop()
        sys.stdout, sys.stderr = saved
    assert rc == 1
    assert "event exceeds max_event_bytes (1000)" in err
    assert peak < 4_000_000, peak


def test_the_id_is_found_wherever_it_is_in_the_line(run: Run, tmp_path: Path) -> None:
    # The id is read by a pattern when it is the line's first key, else the line is parsed:
    # both give the same streams.
    a, b, want_a, want_b = two_streams()
    mixed = [o for pair in zip(a, b, strict=True) for o in pair]
    results = []
    for first in (True, False):
        lines = [
            o if first else {**{k: v for k, v in o.items() if k != "id"}, "id": o["id"]}
            for o in mixed
        ]
        assert (next(iter(lines[0])) == "id") is first  # premise
        path = tmp_path / f"log{first}.jsonl"
        path.write_bytes(lines_of(lines))
        rc, out, err = run("--stats", "--json", path)
        assert rc == 0
        results.append([(o["source"][len(str(path)) :], o["completion"]) for o in jsonl(out)])
        stats = json.loads(err.split("chunkstream: stats: ", 1)[1])
        assert (stats["streams"], stats["ok"], stats["chunks"]) == (2, 2, len(mixed))
        assert stats["bytes"] == path.stat().st_size
    assert results[0] == results[1] == [(f"@{A}", want_a), ("@chatcmpl-B", want_b)]


def test_an_id_that_changes_on_every_line_of_a_long_response_stays_one_stream(
    run: Run, tmp_path: Path
) -> None:
    # 3,000 chunks of one response, each with an id of its own: past the 1,000 lines held to
    # decide, the file is read as one stream; the content is whole.
    base = {"object": "chat.completion.chunk", "created": 1, "model": "m"}
    lines: list[Any] = [
        {
            **base,
            "id": "c0",
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    ]
    lines += [
        {
            **base,
            "id": f"c{i}",
            "choices": [{"index": 0, "delta": {"content": f"{i} "}, "finish_reason": None}],
        }
        for i in range(1, 3000)
    ]
    lines.append(
        {**base, "id": "c3000", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    path = tmp_path / "ids.jsonl"
    path.write_bytes(lines_of(lines))
    rc, out, _ = run("--lenient", "--jsonl", path)
    assert rc == 0
    [line] = jsonl(out)
    assert line["source"] == str(path)
    got = line["completion"]
    assert (got["id"], got["choices"][0]["finish_reason"]) == ("c0", "stop")
    assert got["choices"][0]["message"]["content"] == "".join(f"{i} " for i in range(1, 3000))
    kinds = [w["kind"] for w in line["warnings"]]
    assert kinds.count("split") == 1


class FailingReads(io.RawIOBase):
    """A stdin whose reads fail (EIO) after ``good`` bytes."""

    def __init__(self, data: bytes, good: int) -> None:
        self.data = data[:good]
        self.pos = 0

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        if self.pos >= len(self.data):
            raise OSError(5, "Input/output error")
        block = self.data[self.pos : self.pos + 100]
        self.pos += len(block)
        return block

    read = read1


def test_a_read_that_fails_mid_log_ends_every_open_stream(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, want_a, _ = two_streams()
    # A whole (with its [DONE]), then B cut by the failing read.
    data = lines_of([*a, "[DONE]", *b])

    class Failing:
        buffer = FailingReads(data, len(lines_of([*a, "[DONE]", *b[:3]])))

    monkeypatch.setattr(sys, "stdin", Failing())
    rc = main(["-"])
    out, err = capsysbinary.readouterr()
    assert rc == 1
    first, second = jsonl(out)
    assert (first["source"], first["completion"]) == (f"<stdin>@{A}", want_a)
    assert second["source"] == "<stdin>@chatcmpl-B"
    assert second["error"] == {
        "type": "OSError",
        "message": "cannot read '<stdin>@chatcmpl-B': Input/output error",
        "chunk_index": None,
        "byte_offset": None,
    }
    assert err.decode() == (
        "chunkstream: error: <stdin>@chatcmpl-B: cannot read '<stdin>@chatcmpl-B': "
        "Input/output error\n"
    )


def test_a_line_over_the_limit_in_a_log_is_skipped_in_the_stream_of_the_line_before_it(
    run: Run, tmp_path: Path
) -> None:
    a, b, want_a, want_b = two_streams()
    mixed: list[Any] = [o for pair in zip(a, b, strict=True) for o in pair]
    at = mixed.index(b[1]) + 1
    mixed.insert(at, '{"choices": "' + "x" * 5000 + '"}')
    data = lines_of(mixed)
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    where = f"{path}@chatcmpl-B: line {at + 1}"
    # Its id is not read (the line is not held): it is taken for the line before it's stream.
    guess = (
        f"chunkstream: warning: {where}: no id: taken to belong to the stream of the line "
        f"before it ('chatcmpl-B'), one of 2 streams open (byte {offsets(data)[at]})\n"
    )
    rc, out, err = run("--lenient", "--max-event-bytes", 1000, path)
    assert rc == 0
    assert [o["completion"] for o in jsonl(out)] == [want_a, want_b]
    assert err == (
        f"chunkstream: warning: {where}: event exceeds max_event_bytes (1000); skipped it "
        f"(byte {offsets(data)[at]})\n" + guess
    )
    rc, out, err = run("--max-event-bytes", 1000, path)
    assert rc == 1
    assert err == guess + (
        f"chunkstream: error: {where}: event exceeds max_event_bytes (1000): the line is "
        f"{len(data.splitlines()[at])} bytes (byte {offsets(data)[at]})\n"
    )


def one_stream_and_log(args: list[str], data: bytes) -> list[tuple[int, bytes, str]]:
    """The output of the one-stream chunk-lines reader and of the log reader (which splits)
    on the same bytes, through the same stream and report parts."""
    from chunkstream import _cli

    results = []
    for split in (False, True):
        ns = _cli._parser().parse_args([*args, "x.jsonl"])
        out, err = io.BytesIO(), io.StringIO()
        report = _cli._Report(ns, out, err, False)
        streams = _cli._Streams(ns, report)
        limit = ns.max_event_bytes or None
        body: Any
        if split:
            body = _cli._ChunkLog("x.jsonl", [data], limit, None, 1000, False)
        else:
            body = _cli._ChunkLines([data], limit)
        streams.process(_cli._Capture("x.jsonl", body, False))
        report.end()
        results.append((report.status(), out.getvalue(), err.getvalue()))
    return results


@pytest.mark.parametrize("args", [[], ["--lenient"], ["--text"], ["--stats", "-q"]])
def test_a_log_of_one_stream_reads_as_the_one_stream_reader_does(args: list[str]) -> None:
    # Every fixture and corpus stream whose events are single data lines, as a chunk log
    # (with [DONE] or without, whole or cut, with a line that is not JSON): the log reader,
    # which splits by id, gives exactly what the one-stream reader gives (output, messages,
    # status).
    files = sorted(FIXTURES.glob("*.sse")) + sorted(CORPUS.glob("*/*.sse"))
    tried = 0
    for name in files:
        text = name.read_text(encoding="utf-8")
        blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
        if not all(b.startswith("data: ") and "\n" not in b.strip() for b in blocks):
            continue
        datas = [b.strip()[6:] for b in blocks]
        ids = set()
        for d in datas:
            # a chunk that is not JSON (or not an object) has no id here: the stream says so
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                ids.add(json.loads(d).get("id"))
        if len(ids - {None, ""}) > 1:
            continue  # several ids: not one stream by id
        tried += 1
        variants = [datas, [d for d in datas if d != "[DONE]"], datas[: len(datas) // 2]]
        variants.append([*datas[:2], "not json", *datas[2:]])
        for lines in variants:
            data = ("\n".join(lines) + "\n").encode()
            one, log = one_stream_and_log(args, data)
            assert log == one, (name, lines)
    assert tried > 20


@pytest.mark.parametrize("seed", range(6))
def test_any_interleaving_of_streams_gives_each_its_own_completion(run: Run, seed: int) -> None:
    import random

    rng = random.Random(seed)
    names = [
        "openai-text-usage",
        "openai-refusal",
        "openai-parallel-tool-calls",
        "openai-logprobs",
        "openai-n2-interleaved",
        "deepseek-reasoning",
    ]
    picked = rng.sample(names, 4)
    queues: dict[str, list[list[str]]] = {}
    for name in picked:
        objs = chunks(name)
        ids = {o.get("id") for o in objs}
        assert len(ids) == 1 and "" not in ids, name  # premise: one id, in every chunk
        units = [[json.dumps(o)] for o in objs]
        if rng.random() < 0.5:  # a bare [DONE] ends the stream of the line before it
            units[-1].append("[DONE]")
        queues[name] = units
    lines: list[str] = []
    first_seen: list[str] = []
    while any(queues.values()):
        name = rng.choice([n for n in picked if queues[n]])
        lines += queues[name].pop(0)
        if name not in first_seen:
            first_seen.append(name)
    data = ("\n".join(lines) + "\n").encode()
    size = rng.choice([1, 3, 64, 1 << 20])
    rc, out, err = run("--max-open-streams", 4, "-", stdin=data, size=size)
    assert (rc, err) == (0, ""), err
    assert [o["completion"] for o in jsonl(out)] == [expected(n) for n in first_seen]
