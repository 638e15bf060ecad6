"""The collector pause used by the bulk paths restores the collector exactly as it found it."""

from __future__ import annotations

import gc
import threading

import pytest

from ntropy_dagster._gc import gc_paused


def test_nested_and_failing_pauses_restore_the_collector_at_the_end() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still running
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_concurrent_pauses_enable_the_collector_when_the_last_one_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def worker() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the worker's pause outlives ours
    release.set()
    thread.join(5)
    assert gc.isenabled()
