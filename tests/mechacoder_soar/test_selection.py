from mechacoder_soar.selection import accuracy_bin, balance_bins, greedy_diverse


def test_greedy_diverse_fills_both_halves():
    # (accuracy, code, output signature)
    items = [(1.0, "x" * 5, "s1"), (1.0, "x" * 2, "s2"), (0.5, "x", "s3")] + [(0.0, "y" * i, f"d{i % 3}") for i in range(1, 10)]
    got = greedy_diverse(items, lambda t: t[0], lambda t: len(t[1]), lambda t: t[2], n_best=2, n_diverse=5)
    assert got[:2] == [(1.0, "xx", "s2"), (1.0, "xxxxx", "s1")]  # ties: shorter code first
    diverse = got[2:]
    assert len(diverse) == 4  # s3 + 3 distinct signatures among the zeros: never empty (SOAR's bug)
    assert len({d[2] for d in diverse}) == len(diverse)
    assert diverse[0][0] == 0.0  # lowest accuracy first


def test_accuracy_bins_edges():
    assert [accuracy_bin(a) for a in (0, 0.01, 0.34, 0.35, 0.97, 0.98, 1.0)] == \
        ["zero", "low", "low", "mid", "mid", "high", "high"]
    assert len(balance_bins(list(range(10)), lambda i: "a" if i < 7 else "b", 2)) == 4
