"""A bounded run of the fuzz harness (tests/fuzz.py) in the normal test suite.

The same target functions the coverage-guided harness runs, driven by hypothesis: raw bytes,
SSE-shaped pieces, and the seed streams (fixtures and recorded corpus) put through the
harness' structure-aware mutator. A few hundred inputs per target. Then the harness itself is
checked: each target catches a planted bug, and without atheris it says so and falls back to
hypothesis.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import fuzz
import pytest
from hypothesis import HealthCheck, given, settings

from chunkstream import Accumulator, _models, _sse

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
    monkeypatch.setattr(_models, "_plain_chunk", lambda obj: True)
    with pytest.raises(AssertionError):
        fuzz.check_models(text)


def test_the_assemble_target_catches_a_fast_path_that_merges_differently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = (ROOT / "fixtures" / "openai-text-usage.sse").read_bytes()
    fuzz.check_assemble(body)
    original = Accumulator.merge_plain

    def twice(
        self: Accumulator, obj: dict[str, Any], n: int, offset: int, data: str | None = None
    ) -> bool:
        taken = original(self, obj, n, offset, data)
        if taken:
            original(self, obj, n, offset, data)  # every everyday chunk merged twice
        return taken

    monkeypatch.setattr(Accumulator, "merge_plain", twice)
    with pytest.raises(AssertionError):
        fuzz.check_assemble(body)


def test_the_assemble_target_lets_a_foreign_exception_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = (ROOT / "fixtures" / "openai-text-usage.sse").read_bytes()

    def broken(*args: Any) -> None:
        raise KeyError("index")

    monkeypatch.setattr(Accumulator, "_merge_choice", broken)
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
