"""The collector pause used by the bulk paths restores the collector exactly as it found it; release_memory
gives the heap's free pages back to the system (glibc), as a large partition's chunks need."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

from ntropy_dagster._gc import gc_paused, release_memory


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


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim (Linux)")
def test_freed_buffers_between_survivors_are_given_back() -> None:
    # 100 MB of 50 kB buffers (allocated inside the C heap), one in ten kept: the free ones lie between
    # survivors, where glibc keeps them for the process (as a chunk's results body and payloads are).
    buffers = [b"x" * 50_000 for _ in range(2_000)]
    kept = buffers[::10]
    del buffers
    before = _rss()
    release_memory()
    assert before - _rss() > 50_000_000
    assert len(kept) == 200 and kept[0] == b"x" * 50_000
