# SPDX-License-Identifier: MIT
"""The schema, written once: every object chunkstream reads (the chunk side) or builds (the
assembled side), each field's JSON type, the rule that merges it over a stream and how the
notebook display shows it.

Everything that depends on the shape of the JSON follows from this table: the dataclasses and
their checking builders (generated into the GENERATED section of ``_models.py`` by
``python -m chunkstream._gen``; a
test holds the committed file equal to what the generator writes), the validators and their
messages, the key sets, ``to_dict``, the accumulator's field rules and the display's field
lists. Adding an official field is one line here (and running the generator).

Pure data: imports nothing but ``typing``.
"""

from __future__ import annotations

from typing import NamedTuple

# JSON types of chunk-side fields (what a valid chunk may carry; every field may be missing).
#   str      a string or null
#   int      an integer or null (never a bool, never a float)
#   number   an integer, a float or null
#   index    a non-negative integer or null (``required``: an integer that must be there)
#   ints     a list of integers or null (kept as a tuple)
#   strs     a list of strings or null (kept as a tuple)
#   numbers  a list whose items are numbers or nulls, or null (kept as a tuple)
#   dicts    a list whose items are objects (kept as sent) or nulls, or null (kept as a tuple)
#   object   an object of the shape ``of``, or null
#   objects  a list of objects of the shape ``of``, or null (kept as a tuple)
#   content  a string, a list of objects (content parts, kept as sent) or null
#   dict     an object kept as sent (its inside is not checked), or null
TYPES = (
    "str",
    "int",
    "number",
    "index",
    "ints",
    "strs",
    "numbers",
    "dicts",
    "object",
    "objects",
    "content",
    "dict",
)

# How a chunk-side field merges over a stream into the assembled completion (``Field.merge``).
# Each rule is implemented once, in ``_accumulate``; docs/DESIGN.md describes each.
MERGE_RULES = {
    "same": "set by the first non-blank value; a different later value is inconsistent",
    "created": "like same, but a later value may move forward within created_tolerance",
    "first": "set by the first non-blank value; a different later value is a 'changed' warning",
    "fixed": "checked, not merged: the assembled value is fixed (chat.completion)",
    "chunk_only": "per-chunk data, not part of the response: kept on typed chunks, not assembled",
    "last": "the last non-null value wins, whole (never summed, never merged into)",
    "key": "the key its object is merged by (choice index, tool-call index)",
    "choices": "merged by choice index, in any order; the result is sorted by index",
    "delta": "merged into the choice's message, field by field, by the delta's rules",
    "finish": "set once; a different later value is inconsistent; '' counts as null",
    "logprobs": "merged field by field by its own rules; present once any chunk sent it",
    "extend": "lists extended in arrival order",
    "append": "strings appended, joined once at the end (split surrogate pairs mended)",
    "once": "set by the first non-blank value; a repeat is a no-op; a different value warns",
    "content": "a string is appended; a list of parts is kept in order, its text appended",
    "tool_calls": "merged by index, else by id, else into the last open call",
    "tool_id": "set once; a different id at the same index starts another call",
    "name": "a repeat of the name held is a no-op, anything else is appended (names split)",
    "function": "merged into the choice's legacy function call, like a tool call's function",
    "object": "merged into one assembled object, field by field, by its own rules",
}

# How an encoder (issue 16: a completion back into chunks) splits a field merged by each rule:
# the reverse of the rule, so that re-assembling what it writes gives the field back.
SPLIT_RULES = {
    "same": "sent on every chunk",
    "created": "sent on every chunk",
    "first": "sent on every chunk",
    "fixed": "chat.completion.chunk on every chunk",
    "chunk_only": "not written (nothing in a completion to split)",
    "last": "sent whole, once, in the last chunk that carries it (usage: a chunk of its own)",
    "key": "repeated on every fragment of its object",
    "choices": "one choice per chunk, the choices' fragments interleaved",
    "delta": "one delta per chunk, each carrying a fragment of one field",
    "finish": "sent once, on the choice's last chunk",
    "logprobs": "each token's entry sent beside the text it belongs to",
    "extend": "the items spread over chunks, in order",
    "append": "cut into pieces (a size, a callable, or per token), in order",
    "once": "sent on the first fragment only",
    "content": "a string cut into pieces; list content (parts) sent as parts",
    "tool_calls": "each call announced (index, id, type, name) then its arguments in pieces",
    "tool_id": "sent on the call's first fragment only",
    "name": "sent whole on the call's first fragment",
    "function": "like a tool call's function",
    "object": "its fields split by their own rules, on the fragments that carry them",
}

# The rule for a key no table row declares (a vendor field): the FALLBACK, named as such.
FALLBACK_RULE = (
    "vendor fields (no row in the schema): in a delta, strings appended, lists extended (the "
    "objects of reasoning_details merged by their index), objects merged key by key, other "
    "values last non-null wins; at the top, choice and logprobs level, objects merged key by "
    "key and anything else last non-null wins; a null never overwrites a value"
)

# How the notebook display (``_display``) shows an assembled field (``Field.display``).
DISPLAY_RULES = {
    "text": "the message's text, shown in full (content, refusal)",
    "reasoning": "collapsed under the message",
    "json": "in the 'other fields' box, as JSON",
    "own": "shown by the display's own code for it (tool calls, logprobs, usage, ids)",
}


class Field(NamedTuple):
    """One field of a shape. ``key`` is the JSON key and the dataclass field's name."""

    key: str
    type: str  # chunk side: one of TYPES; assembled side: the Python annotation
    of: str = ""  # object/objects: the shape held
    # chunk side: must be present and not null (a choice's index); assembled side: the JSON form
    # (to_dict) always carries it, so from_dict refuses an object without it
    required: bool = False
    # assembled side: the default is the only value the JSON form has (``object``): from_dict
    # refuses another (a chunk's ``chat.completion.chunk``)
    const: bool = False
    merge: str = ""  # chunk side: one of MERGE_RULES ("" for shapes kept whole)
    into: str = ""  # chunk side: the assembled field it merges into, when not ``key``
    late: bool = False  # a non-empty value after the choice finished is a late delta
    default: str = "None"  # assembled side: the Python default (source text)
    emit: str = "always"  # assembled side: to_dict writes it "always", if "set", or "never"
    display: str = ""  # assembled side: one of DISPLAY_RULES
    lazy: bool = False  # assembled side: may hold a value built when first read (Pending)
    hash: bool = True  # assembled side: part of the hash (the provider's error is not)


class Shape(NamedTuple):
    """A JSON object: its class name, fields (in ``to_dict`` order) and how it is built."""

    name: str
    fields: tuple[Field, ...]
    doc: str
    side: str = "chunk"  # "chunk": parsed and validated; "assembled": built by the accumulator
    sparse: bool = False  # chunk side: usually one or two keys present (build from the items)
    path: str = ""  # where it sits, for the docs: ".choices[].delta"
    base: str = ""  # a class in _models the generated class also derives from (methods)
    into: str = ""  # chunk side: the assembled shape it merges into (its fields' targets)


def _f(key: str, type: str, **kw: str | bool) -> Field:
    return Field(key, type, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# The chunk side: what a ``chat.completion.chunk`` may carry (the OpenAI API reference and the
# ``openai`` package's types, plus the reasoning fields providers share).

CHUNK_SHAPES = (
    Shape(
        "TopLogprob",
        (_f("token", "str"), _f("logprob", "number"), _f("bytes", "ints")),
        "One entry of ``top_logprobs``.",
        path=".choices[].logprobs.content[].top_logprobs[]",
    ),
    Shape(
        "TokenLogprob",
        (
            _f("token", "str"),
            _f("logprob", "number"),
            _f("bytes", "ints"),
            _f("top_logprobs", "objects", of="TopLogprob"),
        ),
        "One token of ``logprobs.content`` / ``logprobs.refusal``.",
        path=".choices[].logprobs.content[]",
    ),
    Shape(
        "ChoiceLogprobs",
        (
            _f("content", "objects", of="TokenLogprob", merge="extend"),
            _f("refusal", "objects", of="TokenLogprob", merge="extend"),
        ),
        "A choice's ``logprobs``: token lists for ``content`` and ``refusal``.",
        into="AssembledLogprobs",
        path=".choices[].logprobs",
    ),
    Shape(
        "FunctionDelta",
        (
            _f("name", "str", merge="name"),
            _f("arguments", "str", merge="append"),
        ),
        "A fragment of a tool call's ``function`` (or of a legacy ``function_call``).",
        sparse=True,
        into="FunctionCall",
        path=".choices[].delta.tool_calls[].function",
    ),
    Shape(
        "ToolCallDelta",
        (
            _f("index", "index", merge="key"),
            _f("id", "str", merge="tool_id"),
            _f("type", "str", merge="once"),
            _f("function", "object", of="FunctionDelta", merge="object"),
        ),
        "A fragment of one tool call in a delta.",
        sparse=True,
        into="ToolCall",
        path=".choices[].delta.tool_calls[]",
    ),
    Shape(
        "ChoiceDeltaAudio",
        (
            _f("id", "str", merge="once"),
            _f("data", "str", merge="append"),
            _f("transcript", "str", merge="append"),
            _f("expires_at", "int", merge="once"),
        ),
        "A fragment of audio output (``delta.audio``): the audio's ``id`` and ``expires_at``,\n"
        "and pieces of its base64 ``data`` and of its ``transcript``.",
        sparse=True,
        into="MessageAudio",
        path=".choices[].delta.audio",
    ),
    Shape(
        "URLCitation",
        (
            _f("start_index", "int"),
            _f("end_index", "int"),
            _f("url", "str"),
            _f("title", "str"),
        ),
        "A web search result cited by the message (``annotations[].url_citation``).",
        path=".choices[].delta.annotations[].url_citation",
    ),
    Shape(
        "Annotation",
        (
            _f("type", "str"),
            _f("url_citation", "object", of="URLCitation"),
        ),
        "An annotation of the message's text (``type`` ``url_citation``: a web search\n"
        "citation), kept whole.",
        path=".choices[].delta.annotations[]",
    ),
    Shape(
        "ChoiceDelta",
        (
            _f("role", "str", merge="once"),
            _f("content", "content", merge="content", late=True),
            _f("refusal", "str", merge="append", late=True),
            _f("tool_calls", "objects", of="ToolCallDelta", merge="tool_calls", late=True),
            _f("function_call", "object", of="FunctionDelta", merge="function", late=True),
            _f("reasoning_content", "str", merge="append", late=True),
            _f("reasoning", "str", merge="append", late=True),
            # Late when its data or transcript come after the finish; OpenAI sends the audio's
            # expires_at alone after the finish_reason, and a set-once field is not content.
            _f("audio", "object", of="ChoiceDeltaAudio", merge="object", late=True),
            _f("annotations", "objects", of="Annotation", merge="extend"),
        ),
        "What one chunk adds to one choice's message.\n\n"
        "``content`` is a string, or (Mistral) a tuple of typed parts as sent. Vendor fields\n"
        "common enough have their own field (``reasoning_content``: DeepSeek, Qwen, xAI,\n"
        "llama.cpp; ``reasoning``: OpenRouter, Groq); every other key is kept in ``extra``.",
        sparse=True,
        into="Message",
        path=".choices[].delta",
    ),
    Shape(
        "ChunkChoice",
        (
            _f("index", "index", required=True, merge="key"),
            _f("delta", "object", of="ChoiceDelta", merge="delta", into="message"),
            _f("finish_reason", "str", merge="finish"),
            _f("logprobs", "object", of="ChoiceLogprobs", merge="logprobs"),
        ),
        "One entry of a chunk's ``choices``.",
        into="Choice",
        path=".choices[]",
    ),
    Shape(
        "PromptTokensDetails",
        (
            _f("cached_tokens", "int"),
            _f("audio_tokens", "int"),
            _f("cache_write_tokens", "int"),
            _f("image_tokens", "int"),
            _f("text_tokens", "int"),
        ),
        "``usage.prompt_tokens_details``.",
        path=".usage.prompt_tokens_details",
    ),
    Shape(
        "CompletionTokensDetails",
        (
            _f("reasoning_tokens", "int"),
            _f("audio_tokens", "int"),
            _f("accepted_prediction_tokens", "int"),
            _f("rejected_prediction_tokens", "int"),
            _f("text_tokens", "int"),
        ),
        "``usage.completion_tokens_details``.",
        path=".usage.completion_tokens_details",
    ),
    Shape(
        "Usage",
        (
            _f("prompt_tokens", "int"),
            _f("completion_tokens", "int"),
            _f("total_tokens", "int"),
            _f("prompt_tokens_details", "object", of="PromptTokensDetails"),
            _f("completion_tokens_details", "object", of="CompletionTokensDetails"),
        ),
        "Token usage, as the provider reported it (vendor keys such as ``queue_time`` in\n"
        "``extra``).",
        path=".usage",
        base="_UsageDisplay",
    ),
    Shape(
        "ChatCompletionChunk",
        (
            _f("id", "str", merge="same"),
            _f("object", "str", merge="fixed"),
            _f("created", "int", merge="created"),
            _f("model", "str", merge="same"),
            _f("system_fingerprint", "str", merge="first"),
            _f("service_tier", "str", merge="first"),
            _f("choices", "objects", of="ChunkChoice", merge="choices"),
            _f("usage", "object", of="Usage", merge="last"),
            _f("obfuscation", "str", merge="chunk_only"),
            _f("moderation", "dict", merge="last"),
        ),
        "One ``chat.completion.chunk``.\n\n"
        "Every field may be ``None``: providers omit or blank them (Azure's content-filter\n"
        'chunks have ``id: ""`` and ``created: 0``; some routers leave out ``object``).\n'
        "``obfuscation`` is OpenAI's per-chunk padding (``stream_options.include_obfuscation``):\n"
        "it is kept on the chunk and is not part of the assembled completion.\n"
        "``moderation`` is OpenAI's moderation of the input and output, kept as sent. Unknown\n"
        "top-level keys (``x_groq``, ``citations``, ``prompt_filter_results``, ``error``, ...)\n"
        "are in ``extra``. ``to_dict(from_dict(d)) == d`` for every valid chunk ``d``.",
        into="ChatCompletion",
        path="",
        base="_ChunkRoot",
    ),
    # The legacy Completions stream (``/v1/completions``, ``"object": "text_completion"``):
    # the same top-level rows as a chat chunk, choices that carry ``text`` instead of a
    # delta, and the legacy ``logprobs`` (parallel lists, one entry per token). The openai
    # package's ``Completion``/``CompletionChoice``/``Logprobs`` types; vLLM streams the same
    # shape (vllm/entrypoints/openai/protocol.py: CompletionStreamResponse,
    # CompletionResponseStreamChoice with its vendor ``stop_reason``, CompletionLogProbs whose
    # ``token_logprobs`` and ``top_logprobs`` entries may be null), and so does llama.cpp's
    # server (usage in every chunk, blank ``id`` and ``model``: ik_llama.cpp issue 767).
    Shape(
        "CompletionLogprobs",
        (
            _f("tokens", "strs", merge="extend"),
            _f("token_logprobs", "numbers", merge="extend"),
            _f("top_logprobs", "dicts", merge="extend"),
            _f("text_offset", "ints", merge="extend"),
            # llama.cpp's server sends chat-shaped logprobs in its text_completion chunks
            # (tools/server: to_json_oaicompat_partial, ``{"content": probs_vector_to_json}``).
            _f("content", "objects", of="TokenLogprob", merge="extend"),
        ),
        "A legacy choice's ``logprobs``: parallel lists, one entry per token (``top_logprobs``\n"
        "entries are objects token -> logprob, kept as sent; an entry may be null), or the\n"
        "chat-shaped ``content`` list llama.cpp's server sends.",
        into="CompletionChoiceLogprobs",
        path=".choices[].logprobs (text_completion)",
    ),
    Shape(
        "CompletionChunkChoice",
        (
            _f("index", "index", required=True, merge="key"),
            _f("text", "str", merge="append", late=True),
            _f("logprobs", "object", of="CompletionLogprobs", merge="logprobs"),
            _f("finish_reason", "str", merge="finish"),
        ),
        "One entry of a ``text_completion`` chunk's ``choices``: a piece of the choice's text.",
        into="CompletionChoice",
        path=".choices[] (text_completion)",
    ),
    Shape(
        "CompletionChunk",
        (
            _f("id", "str", merge="same"),
            _f("object", "str", merge="fixed"),
            _f("created", "int", merge="created"),
            _f("model", "str", merge="same"),
            _f("system_fingerprint", "str", merge="first"),
            _f("choices", "objects", of="CompletionChunkChoice", merge="choices"),
            _f("usage", "object", of="Usage", merge="last"),
        ),
        'One chunk of a legacy Completions stream (``"object": "text_completion"``).\n\n'
        "Every field may be ``None``, as in a chat chunk. Unknown top-level keys are in ``extra``.",
        into="Completion",
        path=". (text_completion)",
    ),
)

# ---------------------------------------------------------------------------------------------
# The assembled side: what the accumulator builds (the non-streaming ``chat.completion``).
# ``type`` is the Python annotation; ``Usage``, ``TokenLogprob`` and ``Annotation`` are the
# chunk-side classes, kept whole.

ASSEMBLED_SHAPES = (
    Shape(
        "FunctionCall",
        (
            _f("name", "str | None"),
            _f("arguments", "str", default='""', lazy=True),
        ),
        "An assembled function: ``name`` and the joined ``arguments`` string.",
        side="assembled",
        base="_FunctionCallArguments",
    ),
    Shape(
        "ToolCall",
        (
            _f("id", "str | None"),
            _f("type", "str", default='"function"'),
            _f("function", "FunctionCall", default="FunctionCall"),
        ),
        'An assembled tool call (``type`` is ``"function"`` when the stream never said).',
        side="assembled",
    ),
    Shape(
        "MessageAudio",
        (
            _f("id", "str | None"),
            _f("data", "str | None", lazy=True),
            _f("transcript", "str | None", lazy=True),
            _f("expires_at", "int | None"),
        ),
        "A message's audio output: the base64 ``data`` and the ``transcript`` joined, ``id``\n"
        "and ``expires_at`` as first sent.",
        side="assembled",
    ),
    Shape(
        "Message",
        (
            _f("role", "str", default='"assistant"', display="own"),
            _f("content", "str | None", display="text", lazy=True),
            _f("refusal", "str | None", display="text", lazy=True),
            _f("tool_calls", "tuple[ToolCall, ...] | None", emit="set", display="own", lazy=True),
            _f("function_call", "FunctionCall | None", emit="set", display="own"),
            _f("reasoning_content", "str | None", emit="set", display="reasoning", lazy=True),
            _f("reasoning", "str | None", emit="set", display="reasoning", lazy=True),
            _f(
                "content_parts",
                "tuple[dict[str, Any], ...] | None",
                emit="set",
                display="json",
                lazy=True,
                hash=False,  # dicts: not hashable (like the delta's content)
            ),
            _f("audio", "MessageAudio | None", emit="set", display="json"),
            _f(
                "annotations",
                "tuple[Annotation, ...] | None",
                emit="set",
                display="json",
                lazy=True,
            ),
        ),
        "A choice's assembled message.\n\n"
        "``content``/``refusal``/``reasoning_content``/``reasoning`` are ``None`` unless some\n"
        'non-null value arrived (``""`` counts). ``content_parts`` keeps every part of\n'
        "list-typed (Mistral) content in order. Vendor delta fields (``reasoning_details``,\n"
        "``channel``, ...) are in ``extra``.",
        side="assembled",
    ),
    Shape(
        "AssembledLogprobs",
        (
            _f("content", "tuple[TokenLogprob, ...] | None", lazy=True),
            _f("refusal", "tuple[TokenLogprob, ...] | None", lazy=True),
        ),
        "A choice's logprobs, extended over the stream (``None`` lists were never sent).",
        side="assembled",
    ),
    Shape(
        "Choice",
        (
            _f("index", "int", default=""),
            _f("message", "Message", default="Message"),
            _f("finish_reason", "str | None"),
            _f("logprobs", "AssembledLogprobs | None"),
        ),
        "One assembled choice.",
        side="assembled",
    ),
    Shape(
        "ChatCompletion",
        (
            _f("id", "str | None"),
            _f("object", "str", default='"chat.completion"', const=True),
            _f("created", "int | None"),
            _f("model", "str | None"),
            _f("system_fingerprint", "str | None"),
            _f("service_tier", "str | None"),
            _f("choices", "tuple[Choice, ...]", default="()", required=True, lazy=True),
            _f("usage", "Usage | None", lazy=True),
            _f(
                "moderation",
                "dict[str, Any] | None",
                emit="set",
                display="json",
                lazy=True,
                hash=False,  # a dict: not hashable (like extra)
            ),
            _f("error", "Any", emit="set", lazy=True, hash=False),
            _f("warnings", "tuple[StreamWarning, ...]", default="()", emit="never"),
        ),
        "The assembled ``chat.completion``.\n\n"
        "``error`` is the provider's in-band error kept in lenient mode; ``warnings`` what was\n"
        "tolerated (neither is part of ``to_dict()`` unless ``error`` is set). Unknown\n"
        "top-level fields of the chunks (``x_groq``, ``citations``, ...) are in ``extra``.",
        side="assembled",
        base="_CompletionDisplay",
    ),
    Shape(
        "CompletionChoiceLogprobs",
        (
            _f("tokens", "tuple[str, ...] | None", lazy=True),
            _f("token_logprobs", "tuple[float | None, ...] | None", lazy=True),
            _f(
                "top_logprobs",
                "tuple[dict[str, Any] | None, ...] | None",
                lazy=True,
                hash=False,  # dicts: not hashable
            ),
            _f("text_offset", "tuple[int, ...] | None", lazy=True),
            _f("content", "tuple[TokenLogprob, ...] | None", emit="set", lazy=True),
        ),
        "A legacy choice's logprobs, each list extended over the stream in order (``None``\n"
        "lists were never sent; ``content``, llama.cpp's chat-shaped tokens, is written only\n"
        "when it holds some).",
        side="assembled",
    ),
    Shape(
        "CompletionChoice",
        (
            _f("text", "str | None", display="text", lazy=True),
            _f("index", "int", default=""),
            _f("logprobs", "CompletionChoiceLogprobs | None"),
            _f("finish_reason", "str | None"),
        ),
        "One assembled choice of a legacy completion: its ``text`` joined (``None`` unless\n"
        'some non-null text arrived: ``""`` counts).',
        side="assembled",
    ),
    Shape(
        "Completion",
        (
            _f("id", "str | None"),
            _f("object", "str", default='"text_completion"', const=True),
            _f("created", "int | None"),
            _f("model", "str | None"),
            _f("system_fingerprint", "str | None"),
            _f("choices", "tuple[CompletionChoice, ...]", default="()", required=True, lazy=True),
            _f("usage", "Usage | None", lazy=True),
            _f("error", "Any", emit="set", lazy=True, hash=False),
            _f("warnings", "tuple[StreamWarning, ...]", default="()", emit="never"),
        ),
        "The assembled legacy ``text_completion`` (``/v1/completions``).\n\n"
        "``error`` is the provider's in-band error kept in lenient mode; ``warnings`` what was\n"
        "tolerated. Unknown top-level fields of the chunks are in ``extra``.",
        side="assembled",
    ),
)

SHAPES = {shape.name: shape for shape in (*CHUNK_SHAPES, *ASSEMBLED_SHAPES)}


def keys(name: str) -> tuple[str, ...]:
    """The JSON keys of a shape, in order."""
    return tuple(f.key for f in SHAPES[name].fields)


def rules(name: str) -> dict[str, str]:
    """A chunk-side shape's merge rule per key (keys kept whole have none)."""
    return {f.key: f.merge for f in SHAPES[name].fields if f.merge}
