"""A bounded run of the fuzz harness (tests/fuzz.py) in the normal test suite.

The same target functions the coverage-guided harness runs, driven by hypothesis: raw bytes,
SSE-shaped pieces, and the seed streams (fixtures and recorded corpus) put through the
harness' structure-aware mutator. A few hundred inputs per target. Then the harness itself is
checked: each target catches a planted bug, and without atheris it says so and falls back to
hypothesis.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import fuzz
import pytest
from hypothesis import HealthCheck, given, settings

from chunkstream import DEFAULT_MAX_TOOL_CALLS, Accumulator, _models, _sse

ROOT = Path(__file__).resolve().parent.parent
# Seeds cut to 2 kB: the checks run every input a dozen ways, whole and cut.
STREAMS = fuzz.seed_streams(keep=2048)
BOUNDED = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@settings(BOUNDED, max_examples=150)
@given(fuzz.strategy("sse", STREAMS))
def test_sse_decoder_follows_the_spec_however_the_input_is_cut(data: bytes) -> None:
    fuzz.check_sse(data)


@settings(BOUNDED, max_examples=300)
@given(fuzz.strategy("models", STREAMS))
def test_from_dict_raises_only_chunk_errors_and_round_trips(data: bytes) -> None:
    fuzz.check_models(data)


@settings(BOUNDED, max_examples=120)
@given(fuzz.strategy("assemble", STREAMS))
def test_assemble_is_the_same_whole_cut_fast_or_slow(data: bytes) -> None:
    fuzz.check_assemble(data)


def test_every_seed_passes_every_target() -> None:
    for body in STREAMS:
        fuzz.check_sse(body)
        fuzz.check_assemble(body)
    for text in fuzz.seed_chunks(STREAMS):
        fuzz.check_models(text)


# -- the harness can fail ----------------------------------------------------------------------


def test_the_sse_target_catches_a_decoder_that_differs_from_the_spec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = b"retry: 100\ndata: x\n\n"
    fuzz.check_sse(body)
    monkeypatch.setattr(_sse, "_MAX_RETRY", 10)  # now the decoder ignores "retry: 100"
    with pytest.raises(AssertionError):
        fuzz.check_sse(body)


def test_the_models_target_catches_a_quick_check_that_accepts_too_much(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = json.dumps({"id": 5}).encode()
    fuzz.check_models(text)
    monkeypatch.setattr(_models, "_ok_chat_completion_chunk", lambda obj: True)
    with pytest.raises(AssertionError):
        fuzz.check_models(text)


def test_the_assemble_target_catches_a_fast_path_that_merges_differently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = (ROOT / "fixtures" / "openai-text-usage.sse").read_bytes()
    fuzz.check_assemble(body)
    original = Accumulator._take

    def twice(
        self: Accumulator, obj: dict[str, Any], n: int, offset: int, data: str | None = None
    ) -> bool:
        taken = original(self, obj, n, offset, data)
        if taken:
            original(self, obj, n, offset, data)  # every everyday chunk merged twice
        return taken

    monkeypatch.setattr(Accumulator, "_take", twice)
    with pytest.raises(AssertionError):
        fuzz.check_assemble(body)


# Call 1 is refused over max_tool_calls=1, call 0 then gets "x" by its index (an everyday
# chunk), and "y" comes with neither index nor id: it continues call 0.
REFUSED = (
    b"".join(
        b'data: {"id":"c","model":"m","created":1,"choices":[{"index":0,"delta":'
        + delta
        + b"}]}\n\n"
        for delta in (
            b'{"tool_calls":[{"index":0,"id":"a","function":{"name":"f"}}]}',
            b'{"tool_calls":[{"index":1,"id":"b","function":{"name":"g"}}]}',
            b'{"tool_calls":[{"index":0,"function":{"arguments":"x"}}]}',
            b'{"tool_calls":[{"function":{"arguments":"y"}}]}',
            b'{},"finish_reason":"tool_calls"',
        )
    )
    + b"data: [DONE]\n\n"
)


def test_the_assemble_target_with_small_limits_catches_a_fast_path_blind_to_a_refused_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small = {**fuzz.DEFAULT_LIMITS, "max_tool_calls": 1}
    fuzz.check_assemble(REFUSED, small)
    original = Accumulator._take

    def blind(
        self: Accumulator, obj: dict[str, Any], n: int, offset: int, data: str | None = None
    ) -> bool:
        # A fast path blind to max_tool_calls (issue 13: the fast taker merges by the same code
        # as every chunk, so the bug before issue 12, a refusal left in place, cannot be
        # simulated by hiding it any more): it opens the call the limit refuses.
        limit, self.max_tool_calls = self.max_tool_calls, DEFAULT_MAX_TOOL_CALLS
        try:
            return original(self, obj, n, offset, data)
        finally:
            self.max_tool_calls = limit

    monkeypatch.setattr(Accumulator, "_take", blind)
    fuzz.check_assemble(REFUSED, fuzz.DEFAULT_LIMITS)  # the default limits do not show it
    with pytest.raises(AssertionError, match="fast and general paths differ"):
        fuzz.check_assemble(REFUSED, small)


def test_the_harness_draws_small_limits_and_tiny_reads_from_the_input() -> None:
    limits = [fuzz.limits_for(fuzz.rng_for(body)) for body in STREAMS]
    assert fuzz.DEFAULT_LIMITS in limits
    for key in ("max_choices", "max_tool_calls"):
        assert {lim[key] for lim in limits} >= {1, 2, 3}, key
    assert {lim["max_warnings"] for lim in limits} >= {0, 1, 2, 3}
    assert any(lim["max_event_bytes"] is None for lim in limits)
    assert any(lim["max_event_bytes"] < 600 for lim in limits if lim["max_event_bytes"])
    body = STREAMS[0]
    sizes = set()
    for seed in range(40):
        for reads in fuzz.splits(body, random.Random(seed), tiny_up_to=len(body)):
            if len(reads) > 3:
                sizes.add(frozenset(len(r) for r in reads[:-1]))
    assert {frozenset({1}), frozenset({2}), frozenset({3})} <= sizes


def test_the_assemble_target_lets_a_foreign_exception_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = (ROOT / "fixtures" / "openai-text-usage.sse").read_bytes()

    def broken(*args: Any) -> None:
        raise KeyError("index")

    monkeypatch.setattr(Accumulator, "_merge_choices", broken)
    with pytest.raises(KeyError):
        fuzz.check_assemble(body)


def test_without_atheris_the_harness_says_so_and_runs_hypothesis() -> None:
    script = (
        "import runpy, sys\n"
        "sys.modules['atheris'] = None  # import atheris now fails\n"
        "sys.argv = ['tests/fuzz.py', '--target', 'sse', '-runs=30']\n"
        "runpy.run_path('tests/fuzz.py', run_name='__main__')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == (
        "fuzz.py: atheris is not installed (pip install atheris), so this run is hypothesis "
        "driving the same 'sse' target: random inputs and mutations of the seeds, not "
        "coverage-guided; 30 inputs."
    )
    assert lines[-1].startswith("fuzz.py: sse: ") and lines[-1].endswith(" inputs, no failure.")
