"""quiesce.strategies(): the simulator's quiescence strategies, as `quiesce strategies --json`
lists them (registry order), asked once per process; a binary that cannot list them is an error."""
import json
import os
import subprocess

import pytest

import quiesce
from quiesce import _backend


def test_strategies_are_what_the_cli_lists(cli_bin, monkeypatch):
    monkeypatch.setenv("QUIESCE_BIN", cli_bin)
    got = quiesce.strategies()
    p = subprocess.run([cli_bin, "strategies", "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert got == json.loads(p.stdout)["strategies"]
    names = [s["name"] for s in got]
    assert names and len(names) == len(set(names))
    for s in got:
        assert s["phases"] and isinstance(s["safe"], bool) and "params" in s


def test_strategies_are_asked_once_per_process(cli_bin, monkeypatch):
    monkeypatch.setenv("QUIESCE_BIN", cli_bin)
    first = quiesce.strategies()

    def no_child(*a, **kw):
        raise AssertionError("strategies() started a process again")

    monkeypatch.setattr(_backend.subprocess, "run", no_child)
    again = quiesce.strategies()
    assert again == first
    again[0]["name"] = "changed"  # a copy: the cache is not the caller's
    assert quiesce.strategies() == first


def test_a_binary_that_cannot_list_them_is_an_error(tmp_path, monkeypatch):
    old = tmp_path / "quiesce"
    old.write_text("#!/bin/sh\necho 'The following argument was not expected: strategies' >&2\nexit 2\n")
    old.chmod(0o755)
    monkeypatch.setenv("QUIESCE_BIN", str(old))
    with pytest.raises(quiesce.QuiesceError) as ei:
        quiesce.strategies()
    assert "strategies --json exited 2" in str(ei.value) and "not expected" in str(ei.value)


@pytest.mark.skipif(_backend.core_path() is None, reason="quiesce._core is not built")
def test_with_the_extension_the_cli_of_the_same_build_is_asked(cli_bin, monkeypatch):
    monkeypatch.setenv("QUIESCE_BACKEND", "core")
    monkeypatch.delenv("QUIESCE_BIN", raising=False)
    b = _backend._find_cli()
    if not b:
        pytest.skip("no CLI next to the package")
    assert _backend.strategies_binary() == os.path.abspath(b)
    assert [s["name"] for s in quiesce.strategies()] == [s["name"] for s in _backend.strategies(
        _backend.Simulator("cli", os.path.abspath(b)))]
