# SPDX-License-Identifier: MIT
"""chunkstream: OpenAI-compatible streaming responses (Server-Sent Events carrying
``chat.completion.chunk`` objects) -> typed chunks -> the assembled ``chat.completion``,
verified to be one coherent response. Pure Python, standard library only.

    >>> import chunkstream
    >>> completion = chunkstream.assemble(open("capture.sse", "rb"))   # doctest: +SKIP
    >>> completion.choices[0].message.content                          # doctest: +SKIP
"""

from ._accumulate import DEFAULT_MAX_CHOICES, DEFAULT_MAX_TOOL_CALLS, Accumulator
from ._encode import encode, encode_chunks, iter_encode
from ._errors import (
    DEFAULT_MAX_WARNINGS,
    ChunkError,
    ChunkstreamError,
    InconsistentStreamError,
    SSEError,
    StreamWarning,
    TruncatedStreamError,
    UpstreamError,
)
from ._models import (
    Annotation,
    AssembledLogprobs,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChoiceDelta,
    ChoiceDeltaAudio,
    ChoiceLogprobs,
    ChunkChoice,
    CompletionTokensDetails,
    FunctionCall,
    FunctionDelta,
    Message,
    MessageAudio,
    PromptTokensDetails,
    TokenLogprob,
    ToolCall,
    ToolCallDelta,
    TopLogprob,
    URLCitation,
    Usage,
    validate_chunk,
)
from ._sse import DEFAULT_MAX_EVENT_BYTES, HeldBack, ServerSentEvent, SSEDecoder, iter_events
from ._stream import (
    Assembler,
    AsyncChunkIterator,
    AsyncSource,
    ChunkDecoder,
    ChunkIterator,
    Source,
    aassemble,
    aiter_chunks,
    assemble,
    iter_chunks,
    truncation_of,
)

__version__ = "0.2.0"

__all__ = [
    "DEFAULT_MAX_CHOICES",
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_TOOL_CALLS",
    "DEFAULT_MAX_WARNINGS",
    "Accumulator",
    "Annotation",
    "Assembler",
    "AssembledLogprobs",
    "AsyncChunkIterator",
    "AsyncSource",
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaAudio",
    "ChoiceLogprobs",
    "ChunkChoice",
    "ChunkDecoder",
    "ChunkError",
    "ChunkIterator",
    "ChunkstreamError",
    "CompletionTokensDetails",
    "FunctionCall",
    "FunctionDelta",
    "HeldBack",
    "InconsistentStreamError",
    "Message",
    "MessageAudio",
    "PromptTokensDetails",
    "SSEDecoder",
    "SSEError",
    "ServerSentEvent",
    "Source",
    "StreamWarning",
    "TokenLogprob",
    "ToolCall",
    "ToolCallDelta",
    "TopLogprob",
    "TruncatedStreamError",
    "URLCitation",
    "UpstreamError",
    "Usage",
    "__version__",
    "aassemble",
    "aiter_chunks",
    "assemble",
    "encode",
    "encode_chunks",
    "iter_chunks",
    "iter_encode",
    "iter_events",
    "truncation_of",
    "validate_chunk",
]
