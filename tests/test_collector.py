"""`mlsys_lint.collector`: the garbage collector paused around a check, and restored."""

import gc

import pytest

from mlsys_lint import collector


@pytest.fixture(autouse=True)
def collector_on():
    enabled = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if enabled else gc.disable)()


def test_paused_turns_collection_off_and_back_on():
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_nested_pause_leaves_collection_off_until_the_outer_one_ends():
    with collector.paused():
        with collector.paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collection_is_restored_when_the_block_raises():
    with pytest.raises(KeyError):
        with collector.paused():
            raise KeyError("x")
    assert gc.isenabled()


def test_collection_left_off_stays_off():
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()
