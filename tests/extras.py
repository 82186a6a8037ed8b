"""The packages of pyproject's ``test`` extra that some tests need (HTTP clients, Dask).

``need("httpx")`` imports one. Without it, a developer's run skips the test with the reason;
a run that must have the extra (``.ci/run`` sets ``CHUNKSTREAM_REQUIRE_TEST_EXTRA=1``, and any
run with ``CI`` set to true, as CI services do) fails instead, so that a broken install can
never turn the HTTP and Dask tests into silent skips.

Import it as ``from extras import need`` (pytest puts this folder on ``sys.path``; see
helpers.py).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

REQUIRE_ENV = "CHUNKSTREAM_REQUIRE_TEST_EXTRA"


def required() -> bool:
    """Whether a missing test-extra package fails the run instead of skipping."""
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        return True
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need(module: str) -> ModuleType:
    """The module, imported; a skip (or, where the extra is required, a failure) without it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        why = (
            f"{module} is not installed ({exc}); it is in the test extra: pip install -e '.[test]'"
        )
        if required():
            pytest.fail(f"{why}; {REQUIRE_ENV}=1 or CI=true: the extra must be there", False)
        pytest.skip(why)
