"""Executor throughput on real ARC tasks and real programs, three designs measured in one run:

  (a) our pool: persistent sandboxed workers (bubblewrap + seccomp + rlimits), in-process exec
  (b) a fresh sandboxed process per program (SOAR's design): bwrap + python + numpy import each time
  (c) unsandboxed in-process compile+exec in this process (the ceiling)

Programs are a mix of correct solutions, wrong programs and erroring ones (exceptions, syntax
errors, invalid outputs), each run on every train and test input of a real arc1-train task.

    .venv/bin/python benchmarks/executor_bench.py [--quick] [--workers N]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mechacoder_soar.arc import load_suite  # noqa: E402
from mechacoder_soar.executor import ExecConfig, Executor  # noqa: E402
from mechacoder_soar.executor.worker.outputs import normalize_arc  # noqa: E402
from mechacoder_soar.executor.sandbox import Launcher  # noqa: E402

CORRECT = {
    "67a3c6ac": "import numpy as np\ndef transform(grid):\n    return np.fliplr(np.array(grid))\n",
    "68b16354": "def transform(grid):\n    return grid[::-1]\n",
    "3c9b0459": "import numpy as np\ndef transform(grid):\n    a = np.array(grid)\n    return np.rot90(a, 2).tolist()\n",
    "74dd1130": "def transform(grid):\n    return [list(r) for r in zip(*grid)]\n",
    "0d3d703e": "M = {3: 4, 1: 5, 2: 6, 8: 9, 5: 1, 6: 2, 9: 8, 4: 3}\ndef transform(grid):\n    return [[M.get(c, c) for c in r] for r in grid]\n",
    "9172f3a0": "import numpy as np\ndef transform(grid):\n    return np.kron(np.array(grid), np.ones((3, 3), dtype=int))\n",
    "6d0aefbc": "def transform(grid):\n    return [r + r[::-1] for r in grid]\n",
    "c8f0f002": "import numpy as np\ndef transform(grid):\n    a = np.array(grid)\n    a[a == 7] = 5\n    return a\n",
}
OTHER = [
    # wrong but valid
    "def transform(grid):\n    return grid\n",
    "import numpy as np\nfrom collections import Counter\ndef transform(grid):\n    a = np.array(grid)\n"
    "    c = Counter(a.flatten().tolist()).most_common(1)[0][0]\n    return np.where(a == c, 0, a)\n",
    # erroring
    "def transform(grid):\n    return grid[100]\n",
    "def transform(grid):\n    return [[c + 10 for c in r] for r in grid]\n",
    "def transform(grid)\n    return grid\n",
]

ONESHOT = r"""
import sys, json
sys.path.insert(0, '/sandbox/site')
import numpy as np
req = json.loads(sys.stdin.read())
g = {'__name__': 'program'}
outs = []
try:
    exec(compile(req['code'], '<program>', 'exec'), g)
    for x in req['inputs']:
        try:
            r = g['transform']([list(row) for row in x])
            if isinstance(r, np.ndarray):
                r = r.tolist()
            outs.append(r)
        except Exception as e:
            outs.append(None)
except Exception as e:
    outs = None
sys.stdout.write(json.dumps(outs, default=lambda o: o.tolist() if hasattr(o, 'tolist') else str(o)))
"""


def make_jobs(n_rounds: int):
    tasks = {t.id: t for t in load_suite("arc1-train", task_ids=sorted(CORRECT))}
    programs = list(CORRECT.values()) + OTHER
    one_round = []
    for tid in sorted(CORRECT):
        t = tasks[tid]
        inputs = [e.input for e in t.train] + list(t.test_inputs)
        for code in programs:
            one_round.append((code, inputs))
    return one_round * n_rounds


def bench_pool(jobs, workers: int) -> tuple[float, str, int]:
    with Executor(ExecConfig(workers=workers, timeout_s=2.0)) as ex:
        ex.run_batch(jobs[:50])  # start + warm
        t = time.perf_counter()
        res = ex.run_batch(jobs)
        dt = time.perf_counter() - t
        ok = sum(1 for r in res if r.ok)
        return len(jobs) / dt, ex.isolation, ok


def bench_inprocess(jobs) -> tuple[float, int]:
    import builtins

    import numpy as np  # noqa: F401

    pristine = dict(builtins.__dict__)
    ok = 0
    t = time.perf_counter()
    for code, inputs in jobs:
        g = {"__builtins__": pristine.copy(), "__name__": "program"}
        good = True
        try:
            exec(compile(code, "<program>", "exec"), g)
            fn = g["transform"]
            for x in inputs:
                try:
                    _, why = normalize_arc(fn([list(r) for r in x]))
                    good = good and why is None
                except Exception:
                    good = False
        except Exception:
            good = False
        ok += good
    dt = time.perf_counter() - t
    return len(jobs) / dt, ok


def bench_fresh_process(jobs, workers: int) -> float:
    launcher = Launcher(ExecConfig(workers=1))
    try:
        script = launcher.tmp / "oneshot.py"
        script.write_text(ONESHOT)
        if launcher.isolation == "bubblewrap":
            argv = launcher._bwrap_argv("bwrap", [launcher.python, "-I", "-S", "/sandbox/oneshot.py"], 16)
            # bind the one-shot runner next to the worker script
            i = argv.index("--proc")
            argv[i:i] = ["--ro-bind", str(script), "/sandbox/oneshot.py"]
        else:
            argv = [launcher.python, "-I", "-S", str(script)]

        def one(job):
            code, inputs = job
            r = subprocess.run(argv, input=json.dumps({"code": code, "inputs": inputs}).encode(),
                               capture_output=True, timeout=30, env={"OPENBLAS_NUM_THREADS": "1"})
            return r.returncode

        with ThreadPoolExecutor(workers) as tp:
            list(tp.map(one, jobs[:2]))
            t = time.perf_counter()
            list(tp.map(one, jobs))
            return len(jobs) / (time.perf_counter() - t)
    finally:
        launcher.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small run (a few seconds)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    rounds, fresh_n = (8, 16) if args.quick else (60, 60)
    jobs = make_jobs(rounds)
    print(f"{len(jobs)} jobs: {len(CORRECT)} real arc1-train tasks x {len(CORRECT) + len(OTHER)} programs "
          f"(correct/wrong/erroring), all train+test inputs per job; {os.cpu_count()} cores")
    c, c_ok = bench_inprocess(jobs)
    print(f"(c) in-process, unsandboxed, 1 thread : {c:9.1f} programs/s  ({c_ok} fully valid)")
    a1, iso, a1_ok = bench_pool(jobs, 1)
    print(f"(a) pool, 1 worker  [{iso}]  : {a1:9.1f} programs/s  ({a1_ok} fully valid)")
    an = a1
    if args.workers > 1:
        an, _, _ = bench_pool(jobs, args.workers)
        print(f"(a) pool, {args.workers} workers [{iso}] : {an:9.1f} programs/s")
    b = bench_fresh_process(jobs[:fresh_n], args.workers)
    print(f"(b) fresh sandboxed process/program, {args.workers} parallel: {b:9.1f} programs/s")
    best = max(a1, an)
    print(f"ratios: a(1 worker)/c = {a1 / c:.2f}   a({args.workers} workers)/c = {an / c:.2f}   "
          f"a/b = {best / b:.0f}x   (goals: a >= 0.5 c, a >= 100 b)")


if __name__ == "__main__":
    main()
