"""Coalescer: concurrent calls merged into one call of the batch function, each caller getting
exactly its own results, and a failure reaching only the callers whose items failed."""
import threading
import time

import pytest

from skills_store.coalesce import Coalescer


def _threads(fn, n):
    out, errs = {}, {}

    def one(i):
        try:
            out[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            errs[i] = e

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out, errs


def test_concurrent_calls_are_merged_per_key_and_each_gets_its_slice():
    calls = []

    def batch(key, items):
        calls.append((key, list(items)))
        time.sleep(0.02)  # long enough for the other threads to queue up behind the first call
        return [f"{key}:{x * 10}" for x in items]

    c = Coalescer(batch)
    out, errs = _threads(lambda i: c.run(f"ns{i % 2}", [i, i + 100]), 12)
    assert not errs
    for i in range(12):
        assert out[i] == [f"ns{i % 2}:{i * 10}", f"ns{i % 2}:{(i + 100) * 10}"]
    assert len(calls) < 12  # merged
    assert all(len({x % 2 for x in items}) == 1 and key == f"ns{items[0] % 2}" for key, items in calls)  # never across keys
    assert sorted(x for _, items in calls for x in items) == sorted([i for i in range(12)] + [i + 100 for i in range(12)])


def test_a_failing_key_fails_only_its_callers_and_the_coalescer_recovers():
    def batch(key, items):
        time.sleep(0.02)
        if key == "bad":
            raise RuntimeError("chroma is down")
        return items

    c = Coalescer(batch)
    out, errs = _threads(lambda i: c.run("bad" if i % 3 == 0 else "good", [i]), 9)
    assert set(errs) == {0, 3, 6} and all("chroma is down" in str(e) for e in errs.values())
    assert out == {i: [i] for i in range(9) if i % 3}
    assert c.run("good", [42]) == [42]  # not left busy


def test_a_batch_function_returning_the_wrong_count_is_an_error_not_a_misaligned_result():
    c = Coalescer(lambda key, items: items[:-1])
    with pytest.raises(RuntimeError, match="2 results for 3 items"):
        c.run(None, [1, 2, 3])
