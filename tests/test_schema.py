"""The schema table is the one place the shape of the JSON is written (issue 13).

- The committed generated code in ``_models.py`` is what ``_gen.py`` writes from ``_schema.py``.
- Every class has exactly the table's fields, in its order.
- Every merge and display rule the table names is one the code knows.
- Adding a field is a change to the table alone: a copy of the package with one new official
  string field added to the delta and the message (and the generator run) parses, validates,
  merges, displays and round-trips it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chunkstream
from chunkstream import _gen, _schema

ROOT = Path(__file__).resolve().parent.parent


def test_the_generated_code_is_what_the_table_gives() -> None:
    assert _gen.main(["--check"]) == 0
    assert _gen.generate() == _gen.generate()


def test_every_class_has_the_tables_fields_in_order() -> None:
    for shape in _schema.SHAPES.values():
        cls = getattr(chunkstream, shape.name)
        names = [f.name for f in dataclasses.fields(cls)]
        keys = [f.key for f in shape.fields]
        # ``_absent`` (chunk side) is bookkeeping in a slot, not a field: asdict never sees it.
        assert names == [*keys, "extra"], shape.name
        written = [f.key for f in shape.fields if f.emit != "never"]
        assert list(cls._keys) == written, shape.name


def test_every_rule_the_table_names_is_declared() -> None:
    for shape in _schema.SHAPES.values():
        for f in shape.fields:
            if shape.side == "chunk":
                assert f.type in _schema.TYPES, (shape.name, f.key)
                assert not f.merge or f.merge in _schema.MERGE_RULES, (shape.name, f.key)
                assert not f.of or _schema.SHAPES[f.of].side == "chunk", (shape.name, f.key)
            else:
                assert f.emit in ("always", "set", "never"), (shape.name, f.key)
                assert not f.display or f.display in _schema.DISPLAY_RULES, (shape.name, f.key)


def test_every_merge_rule_says_how_an_encoder_splits_it_back() -> None:
    assert set(_schema.SPLIT_RULES) == set(_schema.MERGE_RULES)


def test_no_shape_can_outgrow_the_depth_flag() -> None:
    # The depth flag sits above every key's bit whatever the widest shape: no key-count table.
    widest = max(len(s.fields) for s in _schema.SHAPES.values())
    assert (1 << widest) == chunkstream._models.NESTS


def test_the_new_official_fields_are_typed() -> None:
    chunk = chunkstream.ChatCompletionChunk.from_dict(
        {
            "id": "c",
            "obfuscation": "x9Q",
            "moderation": {"input": {"type": "moderation_results"}},
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "audio": {"id": "audio_1", "transcript": "Hi", "expires_at": 1700003600},
                        "annotations": [
                            {
                                "type": "url_citation",
                                "url_citation": {
                                    "start_index": 0,
                                    "end_index": 2,
                                    "url": "https://example.com",
                                    "title": "Example",
                                },
                            }
                        ],
                    },
                }
            ],
        }
    )
    assert chunk.obfuscation == "x9Q"
    assert chunk.moderation == {"input": {"type": "moderation_results"}}
    delta = (chunk.choices or ())[0].delta
    assert delta is not None and delta.extra == {}
    assert delta.audio == chunkstream.ChoiceDeltaAudio(
        id="audio_1", transcript="Hi", expires_at=1700003600
    )
    [note] = delta.annotations or ()
    assert note.url_citation == chunkstream.URLCitation(
        start_index=0, end_index=2, url="https://example.com", title="Example"
    )
    with pytest.raises(chunkstream.ChunkError) as info:
        chunkstream.ChatCompletionChunk.from_dict(
            {"choices": [{"index": 0, "delta": {"audio": {"expires_at": "soon"}}}]}
        )
    assert str(info.value) == (
        "expected int or null at .choices[0].delta.audio.expires_at, got str 'soon'"
    )


# ---------------------------------------------------------------------------------------------
# One more field, added to a copy of the package in one place.

NEW_ROWS = {
    # The delta's row, beside its official siblings.
    '            _f("annotations", "objects", of="Annotation", merge="extend"),\n': (
        '            _f("commentary", "str", merge="append", late=True),\n'
    ),
    # The message's row.
    '            _f("audio", "MessageAudio | None", emit="set", display="json"),\n': (
        '            _f("commentary", "str | None", emit="set", display="text", lazy=True),\n'
    ),
}

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import chunkstream

    def event(delta, finish=None):
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return "data: " + json.dumps(chunk) + "\\n\\n"

    body = (event({"role": "assistant", "commentary": "Hel"}) + event({"commentary": "lo"})
            + event({}, "stop") + "data: [DONE]\\n\\n").encode()
    out = {}
    chunks = list(chunkstream.iter_chunks([body]))
    out["parsed"] = [c.choices[0].delta.commentary for c in chunks]
    out["round_trip"] = [c.to_dict()["choices"][0]["delta"] for c in chunks]
    completion = chunkstream.assemble(body)
    out["merged"] = completion.choices[0].message.commentary
    out["json"] = completion.to_dict()["choices"][0]["message"]
    out["shown"] = "Hello" in completion._repr_html_() and "commentary" in completion._repr_html_()
    try:
        chunkstream.ChatCompletionChunk.from_dict(
            {"choices": [{"index": 0, "delta": {"commentary": 5}}]})
    except chunkstream.ChunkError as exc:
        out["invalid"] = str(exc)
    loaded = chunkstream.ChatCompletion.from_dict(completion.to_dict())
    out["loaded"] = loaded.choices[0].message.commentary
    try:
        chunkstream.ChatCompletion.from_dict(
            {"choices": [{"index": 0, "message": {"commentary": 5}}]})
    except chunkstream.ChunkError as exc:
        out["load_invalid"] = str(exc)
    # written back by the encoder (issue 16), which was not edited: split by its merge rule
    encoded = list(chunkstream.encode_chunks(completion, pieces=2))
    out["encoded"] = [c.to_dict()["choices"][0]["delta"] for c in encoded]
    late = body.replace(b"data: [DONE]", event({"commentary": "!"}).encode() + b"data: [DONE]")
    out["late"] = [w.kind for w in chunkstream.assemble(late, strict=False).warnings]
    print(json.dumps(out))
    """
)


def test_a_field_added_to_the_table_is_parsed_validated_merged_displayed_and_written(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "chunkstream"
    shutil.copytree(ROOT / "chunkstream", copy, ignore=shutil.ignore_patterns("__pycache__"))
    table = copy / "_schema.py"
    text = table.read_text(encoding="utf-8")
    for after, row in NEW_ROWS.items():
        assert text.count(after) == 1, after
        text = text.replace(after, after + row)
    table.write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, str(copy / "_gen.py")], check=True)
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + SCRIPT,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["parsed"] == ["Hel", "lo", None]
    assert out["round_trip"] == [
        {"role": "assistant", "commentary": "Hel"},
        {"commentary": "lo"},
        {},
    ]
    assert out["merged"] == "Hello"
    assert out["json"] == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "commentary": "Hello",
    }
    assert out["shown"] is True
    # the role and the announced text, then the text in pieces of 2, then the finish
    assert out["encoded"] == [
        {"role": "assistant", "commentary": ""},
        {"commentary": "He"},
        {"commentary": "ll"},
        {"commentary": "o"},
    ]
    assert out["invalid"] == "expected str or null at .choices[0].delta.commentary, got int 5"
    assert out["late"] == ["late_delta"]
    # from_dict loads it back (0.2.0), and checks its type
    assert out["loaded"] == "Hello"
    assert out["load_invalid"] == (
        "expected str or null at .choices[0].message.commentary, got int 5"
    )
