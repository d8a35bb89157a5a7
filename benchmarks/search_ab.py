"""Search A/B: two checkouts' searches side by side, task by task, in two long-lived processes.

    PYTHONPATH=. .venv/bin/python benchmarks/search_ab.py --a /tmp/prev --b . --dev-tasks 30 --budget 2000

On a shared machine the CPU time of one search in a fresh process moves by a third from run to run,
so a change worth a few percent does not show in `search_speed.py`'s figures. Here each checkout gets
one worker process, warmed up once as `search_speed.py` warms its workers, and the two run the same
searches in turn, alternating which goes first: load that comes and goes hits both alike. Prints the
CPU seconds of each side, B's speed-up (A's time ÷ B's), and whether every search returned the same
candidates (a change meant to keep results must). Tasks: the throughput tasks of `search_speed.py`,
then the first `--dev-tasks` arc1-train:transfer ids in sorted order (less any already in); every search at `--budget`
programs, `stop_after_solutions=0`, no time limit that binds.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import search_speed  # noqa: E402  (its warm-up and task set; it imports no mechacoder_soar module)


def worker(root: str) -> None:
    """Serve searches from `root`'s checkout: one JSON request per stdin line, one JSON answer each."""
    sys.path.insert(0, os.path.abspath(root))   # ahead of everything: this worker runs `root`'s code
    from mechacoder_soar.arc import load_suite
    from mechacoder_soar.library_search.search import SearchConfig, search

    here = os.path.realpath(sys.modules["mechacoder_soar"].__file__)
    if not here.startswith(os.path.realpath(root) + os.sep):
        raise RuntimeError(f"imported {here}, not {root}'s checkout")
    search_speed._warm_up(search, SearchConfig)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        task = load_suite("arc1-train", task_ids=[job["task"]])[0]
        cfg = SearchConfig(max_depth=job["depth"], budget=job["budget"], time_limit_s=3600, stop_after_solutions=0)
        pairs = [(e.input, e.output) for e in task.train]
        cpu = time.process_time()
        res = search(pairs, task.test_inputs, cfg)
        cpu = time.process_time() - cpu
        found = json.dumps([[c.steps, c.test_outputs] for c in res.candidates], sort_keys=True, default=str)
        print(json.dumps({"task": job["task"], "cpu_s": cpu, "programs": res.n_evaluated,
                          "candidates": hashlib.sha256(found.encode()).hexdigest()}), flush=True)


def compare(a: str, b: str, tasks: list[str], budget: int, depth: int, progress: bool = True) -> dict:
    """Run every task once per side, in turn; the sides' totals, B's speed-up and whether they agree."""
    env = {**os.environ, "PYTHONPATH": ""}   # each worker imports its own checkout only
    sides = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", root], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env) for root in (a, b)]
    try:
        for s in sides:
            if not s.stdout.readline():
                raise RuntimeError("a worker died while warming up (see its stderr above)")
        rows: list[list[dict]] = [[], []]
        for i, task in enumerate(tasks):
            for k in ((0, 1) if i % 2 == 0 else (1, 0)):   # alternate who goes first
                sides[k].stdin.write(json.dumps({"task": task, "budget": budget, "depth": depth}) + "\n")
                sides[k].stdin.flush()
                rows[k].append(json.loads(sides[k].stdout.readline()))
            if progress:
                print(f"[{i + 1}/{len(tasks)}] {task}: A {rows[0][-1]['cpu_s']:.2f} s, B {rows[1][-1]['cpu_s']:.2f} s",
                      file=sys.stderr, flush=True)
    finally:
        for s in sides:
            s.stdin.close()
            s.wait(timeout=60)
    cpu = [sum(r["cpu_s"] for r in side) for side in rows]
    return {"a": a, "b": b, "tasks": len(tasks), "budget": budget, "depth": depth,
            "cpu_s_a": cpu[0], "cpu_s_b": cpu[1], "speedup_b": cpu[0] / cpu[1],
            "programs_per_cpu_s_b": sum(r["programs"] for r in rows[1]) / cpu[1],
            "same_candidates": all(x["candidates"] == y["candidates"] and x["programs"] == y["programs"]
                                   for x, y in zip(*rows))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", help="the checkout to compare against (e.g. `git archive REV` unpacked in /tmp/prev)")
    ap.add_argument("--b", default=ROOT, help="the checkout under test (default: this one)")
    ap.add_argument("--dev-tasks", type=int, default=30, help="arc1-train:transfer tasks after the throughput tasks")
    ap.add_argument("--budget", type=int, default=2000, help="programs per search")
    ap.add_argument("--depth", type=int, default=3, help="the searches' max depth")
    ap.add_argument("--worker", metavar="ROOT", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker)
        return 0
    for name, root in (("--a", a.a), ("--b", a.b)):
        if not root or not os.path.isdir(os.path.join(root, "mechacoder_soar", "library_search")):
            ap.error(f"{name} {root!r} is not a checkout with mechacoder_soar/library_search")
    if a.budget < 1 or a.dev_tasks < 0 or a.depth < 1:
        ap.error("need --budget >= 1, --dev-tasks >= 0 and --depth >= 1")
    from mechacoder_soar.arc.protocol import select_task_ids

    tasks = list(search_speed.THROUGHPUT_TASKS)
    tasks += [t for t in (select_task_ids("arc1-train:transfer", a.dev_tasks) if a.dev_tasks else []) if t not in tasks]
    out = compare(os.path.abspath(a.a), os.path.abspath(a.b), tasks, a.budget, a.depth)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
