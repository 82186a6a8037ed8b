"""tests/extras.py's need(): a missing test-extra package is a skip on a developer's machine and
a failure where the extra must be installed (.ci/run, CI)."""

from __future__ import annotations

import json

import pytest
from extras import REQUIRE_ENV, need

MISSING = "chunkstream_no_such_module"


def test_need_imports_what_is_there() -> None:
    assert need("json") is json


def test_need_skips_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match=rf"^{MISSING} is not installed \("):
        need(MISSING)


@pytest.mark.parametrize(("name", "value"), [(REQUIRE_ENV, "1"), ("CI", "true"), ("CI", "1")])
def test_need_fails_where_the_extra_is_required(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(name, value)
    with pytest.raises(pytest.fail.Exception) as info:
        need(MISSING)
    assert str(info.value).startswith(f"{MISSING} is not installed (")
    assert str(info.value).endswith(f"; {REQUIRE_ENV}=1 or CI=true: the extra must be there")
