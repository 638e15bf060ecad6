"""The collector pause used by the bulk paths restores the collector exactly as it found it; release_memory
gives the heap's free pages back to the system (glibc), as a large partition's chunks need; a chunked step
keeps its collections to the objects it created, and the collector sees every object again after it."""

from __future__ import annotations

import gc
import sys
import threading
import weakref

import pytest

from ntropy_dagster._gc import gc_paused, older_objects_frozen, release_memory


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


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_chunked_step_collects_only_what_it_created_then_unfreezes_everything() -> None:
    assert gc.get_freeze_count() == 0
    older = _Cycle()
    older_ref = weakref.ref(older)
    with older_objects_frozen():
        assert gc.get_freeze_count() > 0
        del older
        inner = weakref.ref(_Cycle())  # the step's garbage cycle
        gc.collect()
        assert inner() is None  # collected: the step's own objects are walked
        assert older_ref() is not None  # frozen: not walked until the step ends
        with older_objects_frozen():  # nested (a step inside a step) keeps the freeze
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert older_ref() is None  # back in the oldest generation, collected as before


def test_a_freeze_made_by_someone_else_is_left_alone() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with older_objects_frozen():
            pass
        assert 0 < gc.get_freeze_count() <= frozen  # still frozen (less any that died), nothing added
    finally:
        gc.unfreeze()


def test_a_failing_step_unfreezes() -> None:
    with pytest.raises(RuntimeError), older_objects_frozen():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0
