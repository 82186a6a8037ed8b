"""The real recorded streams of the shared corpus (``/work/shared/corpus``, 79 streams from 26
providers; skipped when it is not there).

Three independent references:
- the recordings themselves, read here by a deliberately small reader (``read_events``) and
  summed up field by field by the rules of DESIGN.md (``Recording``): nothing a provider sent
  may be missing from the assembled completion;
- the MANIFEST notes, which say which streams are broken and how: strict mode must raise the
  one error each deserves, at the chunk and byte where the recording shows it;
- the openai SDK's output (``<file>.expected.json``): where it is right we match it; where it is
  wrong, ``KNOWN`` states our answer and why, and the test asserts our value (and that the SDK's
  really differs, so no entry goes stale).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chunkstream import (
    ChatCompletion,
    ChunkError,
    ChunkstreamError,
    InconsistentStreamError,
    StreamWarning,
    UpstreamError,
    assemble,
    iter_chunks,
)
from chunkstream._schema import rules

CORPUS = Path(
    os.environ.get("CHUNKSTREAM_CORPUS")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
)
if not (CORPUS / "MANIFEST.json").is_file():
    pytest.skip(f"no corpus at {CORPUS}", allow_module_level=True)

MANIFEST = {e["file"]: e for e in json.loads((CORPUS / "MANIFEST.json").read_text("utf-8"))}
FILES = sorted(MANIFEST)


def body_of(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def sdk_of(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / f"{name}.expected.json").read_text("utf-8"))


def random_reads(body: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    reads, i = [], 0
    while i < len(body):
        j = i + rng.choice((1, 2, 3, 7, 64, 500, 4096))
        reads.append(body[i:j])
        i = j
    return reads


_LENIENT: dict[str, ChatCompletion] = {}


def lenient(name: str) -> ChatCompletion:
    if name not in _LENIENT:
        _LENIENT[name] = assemble(body_of(name), strict=False)
    return _LENIENT[name]


# ---------------------------------------------------------------------------------------------
# The recordings, read independently of chunkstream.


@dataclass
class Event:
    number: int  # chunk number: every dispatched event but [DONE]
    offset: int  # byte offset of the block's first line
    type: str
    data: str


def read_events(body: bytes) -> list[Event]:
    """Blocks of ``field: value`` lines ended by a blank line (or the end of the file), up to
    ``data: [DONE]``. Just enough for these recordings: LF line endings (checked by a test),
    no BOM, comment lines; a line whose field name is not exactly ``data``/``event`` (such as
    ``" data: ..."``) is not read, as the SSE spec says."""
    events: list[Event] = []
    start: int | None = None
    data: list[str] = []
    kind = "message"
    pos = 0
    for raw in [*body.split(b"\n"), b""]:
        line = raw.decode("utf-8")
        offset, pos = pos, pos + len(raw) + 1
        if line:
            if start is None:
                start = offset
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "event":
                kind = value
            continue
        if data:
            text = "\n".join(data)
            if text.strip() == "[DONE]":
                return events
            assert start is not None
            events.append(Event(len(events), start, kind, text))
        start, data, kind = None, [], "message"
    return events


TOP = {"id", "object", "created", "model", "system_fingerprint", "service_tier", "choices"}
TOP |= {"usage", "error"}
CHOICE = {"index", "delta", "finish_reason", "logprobs"}
DELTA = {"role", "content", "refusal", "tool_calls", "function_call"}
DELTA |= {"reasoning_content", "reasoning"}
TEXTS = ("content", "refusal", "reasoning_content", "reasoning")


@dataclass
class Choice:
    role: str | None = None
    texts: dict[str, list[str] | None] = field(default_factory=lambda: dict.fromkeys(TEXTS))
    finish_reason: str | None = None
    arguments: dict[Any, list[str]] = field(default_factory=dict)  # by tool index (or id)
    delta_keys: set[str] = field(default_factory=set)
    choice_keys: set[str] = field(default_factory=set)
    details: list[dict[str, Any]] = field(default_factory=list)  # reasoning_details, merged
    detail_of: dict[int, dict[str, Any]] = field(default_factory=dict)  # by index

    def add_detail(self, item: Any) -> None:
        """A reasoning_details fragment: merged into the held item of its integer index when
        no name (type, id, format) differs; names set once, strings appended, else last
        non-null."""
        index = item.get("index") if type(item) is dict else None
        held = self.detail_of.get(index) if type(index) is int else None
        names = ("type", "id", "format")
        if held is not None and all(
            not item.get(n) or not held.get(n) or item[n] == held[n] for n in names
        ):
            for key, value in item.items():
                if key in names:
                    if value or key not in held:
                        held[key] = value
                elif type(value) is str and type(held.get(key)) is str:
                    held[key] += value
                elif value is not None or key not in held:
                    held[key] = value
            return
        new = dict(item) if type(item) is dict else item
        self.details.append(new)
        if type(index) is int:
            self.detail_of[index] = new

    def add(self, key: str, text: str) -> None:
        parts = self.texts[key]
        if parts is None:
            self.texts[key] = [text]
        else:
            parts.append(text)


@dataclass
class Recording:
    """What DESIGN.md says the completion must hold, summed up straight from the chunks."""

    events: list[Event]
    first: dict[str, Any] = field(default_factory=dict)  # first non-blank id/model/created
    usage: Any = None  # last non-null usage
    x_groq_usage: Any = None
    errors: list[tuple[Event, Any]] = field(default_factory=list)
    top_keys: set[str] = field(default_factory=set)
    choices: dict[int, Choice] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str) -> Recording:
        rec = cls(read_events(body_of(name)))
        for event in rec.events:
            obj = json.loads(event.data) if event.data[:1] in "{[" else event.data
            if event.type == "error":
                error = obj.get("error") if type(obj) is dict else None
                rec.errors.append((event, obj if error is None else error))
                continue
            rec.take(event, obj)
        return rec

    def take(self, event: Event, obj: dict[str, Any]) -> None:
        for key in ("id", "model", "created"):
            if obj.get(key) and key not in self.first:
                self.first[key] = obj[key]
        if obj.get("usage") is not None:
            self.usage = obj["usage"]
        x_groq = obj.get("x_groq")
        if type(x_groq) is dict and type(x_groq.get("usage")) is dict:
            self.x_groq_usage = x_groq["usage"]
        if obj.get("error") is not None:
            self.errors.append((event, obj["error"]))
        self.top_keys |= obj.keys() - TOP
        for c in obj.get("choices") or []:
            st = self.choices.setdefault(c["index"], Choice())
            st.choice_keys |= c.keys() - CHOICE
            if c.get("finish_reason"):
                st.finish_reason = c["finish_reason"]
            delta = c.get("delta") or {}
            st.delta_keys |= {k for k, v in delta.items() if k not in DELTA}
            if delta.get("role") and st.role is None:
                st.role = delta["role"]
            for key in TEXTS:
                value = delta.get(key)
                if type(value) is str:
                    st.add(key, value)
                elif type(value) is list:  # Mistral: a list of typed parts
                    for part in value:
                        if part.get("type") == "text":
                            st.add("content", part["text"])
                        elif part.get("type") == "thinking":
                            st.add(
                                "reasoning_content", "".join(t["text"] for t in part["thinking"])
                            )
            for item in delta.get("reasoning_details") or []:
                st.add_detail(item)
            for call in delta.get("tool_calls") or []:
                key = call.get("index", call.get("id"))
                arguments = (call.get("function") or {}).get("arguments")
                st.arguments.setdefault(key, []).append(arguments or "")

    def warnings_for_ids(self) -> list[StreamWarning]:
        """Lenient mode: one warning per chunk whose non-blank id differs from the first."""
        out, first, first_at = [], None, 0
        for event in self.events:
            if event.type == "error":
                continue
            chunk_id = json.loads(event.data).get("id")
            if not chunk_id:
                continue
            if first is None:
                first, first_at = chunk_id, event.number
            elif chunk_id != first:
                out.append(
                    StreamWarning(
                        kind="inconsistent",
                        message=(
                            f"expected id {first!r} (as in chunk {first_at}) at .id, "
                            f"got str {chunk_id!r}"
                        ),
                        chunk_index=event.number,
                        byte_offset=event.offset,
                        path=".id",
                        field="id",
                    )
                )
        return out


def error_line(error: Any) -> str:
    """How a message names a provider's error (the message text cut at 200, then the code)."""
    text = error["message"]
    text = text if len(text) <= 200 else text[:197] + "..."
    code = error.get("code")
    return text + (f" (code {code!r})" if code is not None else "")


def test_the_corpus_is_complete_and_readable_by_the_reference_reader() -> None:
    on_disk = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*.sse"))
    assert on_disk == FILES
    assert len(FILES) == 79
    for name in FILES:
        body = body_of(name)
        assert b"\r" not in body and not body.startswith(b"\xef\xbb\xbf"), name
        assert (CORPUS / f"{name}.expected.json").is_file(), name
        assert Recording.of(name).choices, name


# ---------------------------------------------------------------------------------------------
# Lenient mode: every stream, whole and in random reads, alike; nothing dropped.


@pytest.mark.parametrize("name", FILES)
def test_lenient_gives_the_same_result_whole_and_in_random_reads(name: str) -> None:
    body = body_of(name)
    whole = lenient(name)
    for seed in range(3):
        split = assemble(random_reads(body, seed), strict=False)
        assert split.to_dict() == whole.to_dict()
        assert split.warnings == whole.warnings


@pytest.mark.parametrize("name", FILES)
def test_lenient_drops_nothing_the_provider_sent(name: str) -> None:
    rec = Recording.of(name)
    got = lenient(name).to_dict()
    for key in ("id", "model", "created"):
        assert got[key] == rec.first.get(key), key
    assert got["usage"] == (rec.usage if rec.usage is not None else rec.x_groq_usage)
    # Per-chunk data (rule "chunk_only": OpenAI's obfuscation) is not part of the response.
    chunk_only = {k for k, rule in rules("ChatCompletionChunk").items() if rule == "chunk_only"}
    assert rec.top_keys - chunk_only <= got.keys()
    assert not chunk_only & got.keys()
    assert [c["index"] for c in got["choices"]] == sorted(rec.choices)
    for choice in got["choices"]:
        st = rec.choices[choice["index"]]
        message = choice["message"]
        assert message["role"] == (st.role or "assistant")
        for key in TEXTS:
            parts = st.texts[key]
            assert message.get(key) == (None if parts is None else "".join(parts)), key
        assert choice["finish_reason"] == st.finish_reason
        joined = sorted("".join(parts) for parts in st.arguments.values())
        calls = message.get("tool_calls") or []
        assert sorted(call["function"]["arguments"] for call in calls) == joined
        assert st.delta_keys <= message.keys()
        assert st.choice_keys <= choice.keys()
        if st.details:
            assert message["reasoning_details"] == st.details
    if rec.errors:
        assert got["error"] == rec.errors[0][1]
    else:
        assert "error" not in got


@pytest.mark.parametrize("name", FILES)
def test_iter_chunks_yields_one_chunk_per_recorded_event(name: str) -> None:
    rec = Recording.of(name)
    chunks = list(iter_chunks(body_of(name), strict=False))
    assert len(chunks) == len(rec.events)
    for chunk, event in zip(chunks, rec.events, strict=True):
        if event.type == "error":
            assert chunk.extra == {"error": rec.errors[0][1]}
        else:
            assert chunk.to_dict() == json.loads(event.data)


# ---------------------------------------------------------------------------------------------
# Warnings: none for clean streams; for the quirky ones, exactly what each deserves.


def expected_warnings(name: str) -> list[StreamWarning]:
    rec = Recording.of(name)
    if name in ("avian/kimi-k25-tool-call.sse", "groq/compound-web-search.sse"):
        # Every chunk after the first carries another id (MANIFEST: "change ids").
        return rec.warnings_for_ids()
    if name == "openrouter/kimi-leading-space.sse":
        # The body begins with " data:": a field named " data", which SSE ignores.
        return [
            StreamWarning(
                kind="ignored",
                message=(
                    "ignored a line whose field name is ' data': Server-Sent Events know only "
                    "'data', 'event', 'id' and 'retry', so its value was not read"
                ),
                byte_offset=0,
            )
        ]
    out = [
        StreamWarning(
            kind="upstream_error",
            message="the provider sent an error: " + error_line(error),
            chunk_index=event.number,
            byte_offset=event.offset,
        )
        for event, error in rec.errors
    ]
    if name == "groq/tool-use-failed-error-event.sse":
        # No [DONE] after the error event, and choice 0 never got a finish_reason: located at
        # the end of the input (the next chunk's number, the body's length).
        out.append(
            StreamWarning(
                kind="truncated",
                message="stream ended before [DONE] with choice(s) 0 unfinished (no finish_reason)",
                chunk_index=len(rec.events),
                byte_offset=len(body_of(name)),
            )
        )
    return out


QUIRKY = {
    "avian/kimi-k25-tool-call.sse": 49,
    "groq/compound-web-search.sse": 225,
    "openrouter/kimi-leading-space.sse": 1,
    "groq/tool-use-failed-error-event.sse": 2,
    "openrouter/minimax-in-stream-error.sse": 1,
}


@pytest.mark.parametrize("name", FILES)
def test_warnings_are_exactly_what_each_stream_deserves(name: str) -> None:
    want = expected_warnings(name)
    assert len(want) == QUIRKY.get(name, 0)
    assert list(lenient(name).warnings) == want


# ---------------------------------------------------------------------------------------------
# Strict mode: succeed, or raise the one error the recording deserves.


def test_strict_id_changes_raise_inconsistent_stream_error() -> None:
    for name in ("avian/kimi-k25-tool-call.sse", "groq/compound-web-search.sse"):
        first = Recording.of(name).warnings_for_ids()[0]  # the first chunk with another id
        with pytest.raises(InconsistentStreamError) as info:
            assemble(body_of(name))
        exc = info.value
        assert str(exc) == f"{first.message} (chunk {first.chunk_index}, byte {first.byte_offset})"
        assert (exc.chunk_index, exc.byte_offset, exc.path, exc.field) == (
            first.chunk_index,
            first.byte_offset,
            ".id",
            "id",
        )
        assert exc.partial is not None
        assert exc.partial.id == Recording.of(name).first["id"]


def test_strict_in_band_errors_raise_upstream_error() -> None:
    for name in ("groq/tool-use-failed-error-event.sse", "openrouter/minimax-in-stream-error.sse"):
        rec = Recording.of(name)
        ((event, error),) = rec.errors
        with pytest.raises(UpstreamError) as info:
            assemble(body_of(name))
        exc = info.value
        assert str(exc) == (
            f"the provider sent an error: {error_line(error)} "
            f"(chunk {event.number}, byte {event.offset})"
        )
        assert exc.error == error
        assert exc.partial is not None
        # The partial holds everything before the error (and the error chunk's own fields).
        assert exc.partial.choices[0].message.reasoning == "".join(
            rec.choices[0].texts["reasoning"] or []
        )


STRICT_ERRORS = {
    "avian/kimi-k25-tool-call.sse": InconsistentStreamError,
    "groq/compound-web-search.sse": InconsistentStreamError,
    "groq/tool-use-failed-error-event.sse": UpstreamError,
    "openrouter/minimax-in-stream-error.sse": UpstreamError,
    # Its first line is " data: {...}": SSE ignores it, so its chunk (the role) is lost.
    "openrouter/kimi-leading-space.sse": ChunkError,
}


@pytest.mark.parametrize("name", FILES)
def test_strict_succeeds_or_raises_the_error_the_manifest_names(name: str) -> None:
    body = body_of(name)
    if name in STRICT_ERRORS:
        for source in (body, random_reads(body, 9)):
            with pytest.raises(ChunkstreamError) as info:
                assemble(source)
            assert type(info.value) is STRICT_ERRORS[name]
        return
    for source in (body, random_reads(body, 9)):
        strict = assemble(source)
        assert strict.to_dict() == lenient(name).to_dict()
        assert strict.warnings == lenient(name).warnings


def test_the_manifest_notes_name_the_broken_streams() -> None:
    # The table above comes from these notes: keep them in step.
    assert "in-stream error" in MANIFEST["groq/tool-use-failed-error-event.sse"]["notes"]
    assert "error" in MANIFEST["openrouter/minimax-in-stream-error.sse"]["features"][0]
    for name in ("avian/kimi-k25-tool-call.sse", "groq/compound-web-search.sse"):
        ids = {json.loads(e.data)["id"] for e in Recording.of(name).events}
        assert len(ids) > 1, name


# ---------------------------------------------------------------------------------------------
# The openai SDK's output: match it where it is right; where it is wrong, say why.


def view(completion: dict[str, Any]) -> dict[str, Any]:
    """The fields compared with the SDK."""
    out: dict[str, Any] = {
        "choices": len(completion["choices"]),
        "usage": completion.get("usage"),
        "id": completion.get("id"),
        "model": completion.get("model"),
        "created": completion.get("created"),
    }
    for choice in completion["choices"]:
        at = f"choices[{choice['index']}]"
        message = choice["message"]
        for key in ("role", *TEXTS):
            out[f"{at}.{key}"] = message.get(key)
        out[f"{at}.finish_reason"] = choice.get("finish_reason")
        calls = message.get("tool_calls")
        out[f"{at}.tool_calls"] = (
            [
                (c.get("id"), c["function"].get("name"), c["function"].get("arguments"))
                for c in calls
            ]
            if calls
            else None
        )
    return out


@dataclass(frozen=True)
class Known:
    ours: Any
    why: str


ROLE_REPEATED = (
    "the SDK appends a role repeated in every delta ('assistantassistant...'); role is set "
    "once, an identical repeat is a no-op"
)
ROLE_NEVER_SENT = "no delta sends a role: the SDK leaves null; a role never sent is 'assistant'"
BLANK_IS_UNKNOWN = (
    "the SDK keeps the first chunk's blank id/model ('') and created (0) (Azure's "
    "prompt-filter chunk, TGI); blank values are unknown, the first non-blank one is taken"
)
USAGE_WIPED = "a later chunk has usage: null, which the SDK lets wipe the usage; last non-null wins"
USAGE_IN_X_GROQ = "usage is only under x_groq.usage, which the SDK ignores; it is the usage"
LIST_CONTENT = (
    "delta.content is a LIST of typed parts (Mistral) and the SDK drops those deltas: text "
    "parts belong to content, thinking parts' text to reasoning_content"
)

ROLE_REPEATED_FILES = [
    "avian/kimi-k25-tool-call.sse",
    "huggingface/tgi-llama31-8b.sse",
    "openrouter/anthropic-cache-usage-chunk.sse",
    "openrouter/claude-reasoning.sse",
    "openrouter/gemini-parallel-tools.sse",
    "openrouter/kimi-leading-space.sse",
    "openrouter/kimi-moonshot-text.sse",
    "openrouter/kimi-novita-duplicate-tool-id.sse",
    "openrouter/o3-reasoning-details.sse",
    "perplexity/sonar-citations.sse",
    "sambanova/llama31-8b-direct.sse",
    "snowflake/claude-thinking.sse",
    "together/deepseek-v31-parallel-tools.sse",
    "together/llama31-8b-direct.sse",
    "together/llama4-maverick-usage.sse",
    "zhipu/glm46-via-hf-router-no-object.sse",
    "zhipu/glm47-flash-parallel-tools.sse",
    "zhipu/glm47-thinking.sse",
]

# (id, model, created): the first non-blank values of each Azure recording.
AZURE_FIRST_NON_BLANK = {
    "azure/gpt35-prompt-filter-results.sse": (
        "chatcmpl-9HpbaAXyt0cAnlWvI8kUAFpZt5jyQ",
        "gpt-35-turbo",
        1714036974,
    ),
    "azure/gpt41-mini-jailbreak-filter.sse": (
        "chatcmpl-DPTBaSsimU1JbOyrWiQNkSSfOPQE7",
        "gpt-4.1-mini-2025-04-14",
        1774962762,
    ),
    "azure/gpt5-mini-usage.sse": (
        "chatcmpl-DuLYkWnz0OixBh4yGRX57RgoH5wVP",
        "gpt-5-mini-2025-08-07",
        1782321614,
    ),
    "azure/gpt5-mini-tool-call.sse": (
        "chatcmpl-DuLYtUePDgoybMkZrAI7utkb2fiRp",
        "gpt-5-mini-2025-08-07",
        1782321623,
    ),
    "azure/model-router.sse": (
        "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt",
        "gpt-5-nano-2025-08-07",
        1762317021,
    ),
    "azure/grok3-mini-foundry-reasoning.sse": (
        "367f150c-b2e9-4a01-b058-b53d905b8dea_sidecar",
        "grok-3-mini-high",
        1759350284,
    ),
}

KNOWN: dict[tuple[str, str], Known] = {
    **{
        (name, "choices[0].role"): Known("assistant", ROLE_REPEATED) for name in ROLE_REPEATED_FILES
    },
    ("groq/compound-web-search.sse", "choices[0].role"): Known("assistant", ROLE_NEVER_SENT),
    ("mistral/glm-incremental-tool-call.sse", "choices[0].role"): Known(
        "assistant", ROLE_NEVER_SENT
    ),
    **{
        (name, key): Known(value, BLANK_IS_UNKNOWN)
        for name, values in AZURE_FIRST_NON_BLANK.items()
        for key, value in zip(("id", "model", "created"), values, strict=True)
    },
    ("huggingface/tgi-llama31-8b.sse", "id"): Known(None, BLANK_IS_UNKNOWN + " (all are blank)"),
    ("snowflake/claude-thinking.sse", "id"): Known(None, BLANK_IS_UNKNOWN + " (all are blank)"),
    ("snowflake/claude-thinking.sse", "created"): Known(
        None, BLANK_IS_UNKNOWN + " (all are blank)"
    ),
    ("openai/moderation-gpt5.sse", "usage"): Known(
        {
            "prompt_tokens": 13,
            "completion_tokens": 11,
            "total_tokens": 24,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        USAGE_WIPED + " (the moderation chunk after the usage chunk)",
    ),
    ("groq/llama3-x-groq-usage.sse", "usage"): Known(
        {
            "queue_time": 0.28245049,
            "prompt_tokens": 18,
            "prompt_time": 0.002698174,
            "completion_tokens": 73,
            "completion_time": 0.060833333,
            "total_tokens": 91,
            "total_time": 0.063531507,
        },
        USAGE_IN_X_GROQ,
    ),
    ("groq/compound-web-search.sse", "usage"): Known(
        {
            "queue_time": 0.235881,
            "prompt_tokens": 5003,
            "prompt_time": 0.330548,
            "completion_tokens": 359,
            "completion_time": 0.87677,
            "total_tokens": 5362,
            "total_time": 1.207319,
        },
        USAGE_IN_X_GROQ,
    ),
    ("mistral/small-p-padding.sse", "choices[0].content"): Known(
        "391", LIST_CONTENT + ": the last list carries a text part '3' before the final '91'"
    ),
    ("mistral/small-p-padding.sse", "choices[0].reasoning_content"): Known(
        "Okay, the user is asking for the product of 17 and 23. I need to calculate this "
        "multiplication. Let me break it down:\n\nFirst, I recall that 17 multiplied by 20 is "
        "340 (since 17 * 20 = 340).\nThen, I need to add 17 multiplied by 3, which is 51 "
        "(since 17 * 3 = 51).\nNow, add these two results together: 340 + 51 = 391.\n\nSo, "
        "17 * 23 = 391.",
        LIST_CONTENT,
    ),
    ("mistral/magistral-content-list.sse", "choices[0].reasoning_content"): Known(
        "Okay, the user is asking how to cross the street. I know that crossing the street "
        "safely involves a few key steps: first, look both ways to check for oncoming traffic; "
        "second, use a crosswalk if one is available; third, obey any traffic signals or signs "
        "that may be present; and finally, proceed with caution until you have safely reached "
        "the other side. Let me compile this information into a clear and concise response.",
        LIST_CONTENT,
    ),
    ("openrouter/kimi-novita-duplicate-tool-id.sse", "choices[0].tool_calls"): Known(
        [("0", "llm_version", "{}")],
        "the whole call is sent twice with the same id '0' and name (arguments '' then '{}'); "
        "the SDK concatenates id and name ('00', 'llm_versionllm_version'); an id is set once "
        "and a name equal to the one held is a repeat",
    ),
}

# Streams where the SDK raised. With a completion it could still give (LengthFinishReasonError
# is only its parse step refusing finish_reason "length"), the comparison above applies to it;
# without one, ``ours`` states our answer.
SDK_RAISED: dict[str, Known] = {
    "anthropic-compat/claude-haiku-tool-index-1.sse": Known(
        {
            "choices": 1,
            "id": "msg_sanitized",
            "created": None,  # every chunk has created: 0, which is blank
            "choices[0].content": "Reading it.",
            "choices[0].tool_calls": [("toolu_sanitized", "read_file", '{"path": "a.txt"}')],
            "choices[0].finish_reason": "tool_calls",
        },
        "IndexError: the only tool call has index 1 and the SDK indexes a list by it; tool "
        "calls are keyed by index, not position",
    ),
    "mistral/tool-call-no-index.sse": Known(
        {
            "choices": 1,
            "choices[0].content": "",  # "" arrived, then null
            "choices[0].tool_calls": [("gSIMJiOkT", "weather", '{"location": "San Francisco"}')],
            "choices[0].finish_reason": "tool_calls",
            "usage": {"prompt_tokens": 124, "total_tokens": 146, "completion_tokens": 22},
        },
        "TypeError: the tool call has no index; a call without index is matched by id, else "
        "it is a new call",
    ),
    "openrouter/web-search-annotations.sse": Known(
        {
            "choices": 1,
            "choices[0].finish_reason": "stop",
            "choices[0].tool_calls": None,
            "annotations": [
                "https://github.com/pydantic/pydantic-ai",
                "https://pydantic.dev/pydantic-ai",
                "https://github.com/pydantic/pydantic-ai/releases/tag/v2.0.0",
                "https://pydantic.dev/docs/ai/overview/",
                "https://github.com/pydantic/pydantic-ai/tree/refs/tags/v1.44.0",
            ],
        },
        "RuntimeError: delta.annotations is a list without index keys, which the SDK's "
        "merge refuses; an unknown delta list is extended, so all five citations are kept",
    ),
    "groq/tool-use-failed-error-event.sse": Known(
        {
            "choices": 1,
            "choices[0].finish_reason": None,
            "choices[0].content": "",
            "error.code": "tool_use_failed",
        },
        "APIError: an 'event: error' block; strict raises UpstreamError, lenient keeps the "
        "reasoning so far and the provider's error under 'error'",
    ),
    "openrouter/minimax-in-stream-error.sse": Known(
        {
            "choices": 1,
            "choices[0].reasoning": "We need to respond to a greeting. The user",
            "choices[0].finish_reason": "length",
            "error.code": 400,
            "usage": {
                "prompt_tokens": 43,
                "completion_tokens": 10,
                "total_tokens": 53,
                "cost": 0,
                "is_byok": False,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "cost_details": {
                    "upstream_inference_cost": None,
                    "upstream_inference_prompt_cost": 0,
                    "upstream_inference_completions_cost": 0,
                },
                "completion_tokens_details": {"reasoning_tokens": 11, "image_tokens": 0},
            },
        },
        "APIError: the last chunk carries error {code: 400} beside its choices; strict raises "
        "UpstreamError, lenient keeps the partial completion and the error",
    ),
}


def our_answer(name: str) -> dict[str, Any]:
    got = lenient(name).to_dict()
    out = view(got)
    if "error" in got:
        out["error.code"] = got["error"].get("code")
    annotations = got["choices"][0]["message"].get("annotations")
    if annotations:
        out["annotations"] = [a["url_citation"]["url"] for a in annotations]
    return out


@pytest.mark.parametrize("name", FILES)
def test_against_the_openai_sdk(name: str) -> None:
    sdk = sdk_of(name)
    if "sdk_error" in sdk:
        assert name in SDK_RAISED or sdk["sdk_error"].startswith("LengthFinishReasonError"), name
        if "sdk_error_completion" not in sdk:
            known = SDK_RAISED[name]
            ours = our_answer(name)
            for key, value in known.ours.items():
                assert ours[key] == value, key
            assert sdk["sdk_error"].split(":")[0] == known.why.split(":")[0]
            return
        sdk = sdk["sdk_error_completion"]
        assert lenient(name).choices[0].finish_reason == "length"
    ours, theirs = view(lenient(name).to_dict()), view(sdk)
    for key in sorted(ours.keys() | theirs.keys()):
        known = KNOWN.get((name, key))
        if known is None:
            assert ours.get(key) == theirs.get(key), key
        else:
            assert ours.get(key) == known.ours, key
            assert theirs.get(key) != known.ours, f"{key}: the SDK agrees now; drop the entry"


DETAILS_FILES = [n for n in FILES if b'"reasoning_details"' in body_of(n)]


@pytest.mark.parametrize("name", DETAILS_FILES)
def test_reasoning_details_against_the_openai_sdk(name: str) -> None:
    # The SDK merges list items by their "index" too, but appends every string, so the names
    # repeated on each fragment come out repeated ("anthropic-claude-v1anthropic-claude-v1",
    # "unknownunknown..."); a name is set once. Everything else is the same.
    ours = lenient(name).to_dict()["choices"][0]["message"]["reasoning_details"]
    assert len(ours) == 1  # each of these streams has one reasoning item, sent in fragments
    sdk = sdk_of(name)
    if "sdk_error" in sdk:
        assert name in SDK_RAISED
        return
    theirs = sdk["choices"][0]["message"]["reasoning_details"]
    assert len(theirs) == len(ours)
    for mine, its in zip(ours, theirs, strict=True):
        assert mine.keys() == its.keys()
        for key, value in mine.items():
            if key in ("id", "format") and value and its[key] != value:
                assert its[key] == value * (len(its[key]) // len(value)), key
                assert len(its[key]) > len(value), key
            else:
                assert its[key] == value, key


def test_the_reasoning_details_streams_are_the_ones_expected() -> None:
    # Seven recordings carry reasoning_details; five send their one item in many fragments.
    assert len(DETAILS_FILES) == 7
    fragmented = {
        n
        for n in DETAILS_FILES
        if body_of(n).count(b'"reasoning_details"') - body_of(n).count(b'"reasoning_details":[]')
        > 1
    }
    assert fragmented == {
        "avian/kimi-k25-tool-call.sse",
        "openrouter/claude-reasoning.sse",
        "openrouter/minimax-in-stream-error.sse",
        "snowflake/claude-thinking.sse",
        "vercel-gateway/claude-thinking-tool.sse",
    }


def test_groq_executed_tools_are_kept_as_sent() -> None:
    # Groq's compound model sends the tool it ran twice under index 0: with its arguments and
    # search results, then the same arguments again with the output. Both are kept as sent;
    # the SDK merges them by index and appends the arguments to themselves.
    name = "groq/compound-web-search.sse"
    tools = lenient(name).to_dict()["choices"][0]["message"]["executed_tools"]
    query = '{"query": "What is the weather in San Francisco today?"}'
    assert [t["index"] for t in tools] == [0, 0]
    assert [t["arguments"] for t in tools] == [query, query]
    assert "search_results" in tools[0] and "output" in tools[1]
    theirs = sdk_of(name)["choices"][0]["message"]["executed_tools"]
    assert [t["arguments"] for t in theirs] == [query + query]


def test_every_known_difference_names_a_stream_and_a_compared_field() -> None:
    for name, key in KNOWN:
        assert name in MANIFEST
        assert key in view(lenient(name).to_dict()), (name, key)
    for name in SDK_RAISED:
        assert "sdk_error" in sdk_of(name)
    # The MANIFEST notes say the same about the repeated role.
    noted = {n for n, e in MANIFEST.items() if "SDK concatenates the role repeated" in e["notes"]}
    assert noted == set(ROLE_REPEATED_FILES)
