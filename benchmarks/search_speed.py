"""Search speed: programs per second of the composition search, the reference engine (the code
before the rewrite, `library_search/reference.py`) and the engine (`library_search/search.py`)
side by side in one run.

    PYTHONPATH=. .venv/bin/python benchmarks/search_speed.py --json --budget 5000 --limit 10 --times 10

1. Throughput: programs evaluated per second per process at depth 3 and depth 4 on a fixed set of
   arc1-train tasks the seed DSL does not solve (the first ids in sorted order that a depth-3
   search leaves unsolved; `stop_after_solutions=0`, a fixed budget, no time limit that binds), per
   wall second and per CPU second of the process (the CPU figure is the one to trust on a shared
   machine); whether the engines returned the same candidates; peak RSS per process. `--dev-tasks N`
   adds the same on the first N arc1-train:transfer tasks, whose primitive mix is broader.
2. Train-solved at a fixed wall time per task (`--times`, e.g. 10,60) and max depth (`--solve-depths`,
   e.g. 3,4) on arc1-train:transfer (the first `--limit` ids in sorted order), every engine, with the
   unsolved tasks whose whole space up to that depth was searched within the time.
3. `--long-search S`: one depth-4 search per engine for S seconds at the default caps (programs,
   programs per CPU second, peak RSS: the memory the caps allow).
4. `--profile N` instead: where the engine's time goes on the throughput tasks, the N largest
   shares by primitive, DSL helper or function (own time).
5. `--layers` instead: the same time split into three layers, inclusive (primitive runs,
   inference's own code, the engine around them), with the speed-up were each layer free.

Engines: "reference" and "engine" share the primitive library, so their ratio measures the engine
alone; "python" is the engine with the compiled twins of the DSL's hot helpers switched off
(`library_search/compiled.py`), so engine ÷ python measures the twins; "nopause" (only when named
in `--engines`) is the engine with the garbage collector left running (`library_search/gc_pause.py`);
`--baseline-tree` adds an earlier checkout with its own primitives. Every (engine, task) run is its own fresh process, so no
engine inherits another's warm caches; each first runs the same small warm-up search on a fixed
synthetic task (loading compiled kernels is a once-per-process cost, reported as `warm_up_s_max`).
`--repeat N` runs each throughput search N times, interleaved across engines, and keeps the run
with the least CPU time (on a shared machine the others were slowed by their neighbours).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# arc1-train ids in sorted order, skipping those a depth-3 search solves at the default budget
THROUGHPUT_TASKS = ("017c7c7b", "025d127b", "045e512c", "05269061")
ENGINES = ["reference", "python", "engine"]   # "python": the engine without compiled twins
OPTIONAL_ENGINES = ["nopause"]                # the engine with the garbage collector left running
BASELINE_ROOT = ""   # --baseline-tree: a checkout whose search runs as a third engine, "baseline"


def _search_fn(engine: str):
    if engine == "baseline":   # another checkout's search (its engine and its primitives)
        from mechacoder_soar.library_search.search import search
    elif engine == "reference":
        from mechacoder_soar.library_search.reference import search
    else:
        from mechacoder_soar.library_search.search import search
    return search


def _warm_up(search, config_cls) -> float:
    """A small search on a fixed synthetic task, before the timed one: what a worker process pays
    once (imports, loading compiled kernels) stays out of the per-search figures. Every engine
    runs it, so module-level caches start alike."""
    rng = __import__("numpy").random.default_rng(0)
    grids = [rng.integers(0, 4, (6, 7)) * (rng.random((6, 7)) < 0.4) for _ in range(3)]
    pairs = [(g.tolist(), g[:, ::-1].tolist()) for g in grids[:2]]
    t = time.perf_counter()
    search(pairs, [grids[2].tolist()], config_cls(budget=600, max_depth=2, stop_after_solutions=0))
    from mechacoder_soar.library_search.primitives import PRIMITIVES
    for a in grids:   # every primitive with every setting inference gives it: each kernel is loaded now
        for prim in PRIMITIVES.values():
            try:
                settings = prim.infer([(a, a[:, ::-1])]) if prim.infer else [{}]
            except Exception:
                settings = [{}]
            for params in list(settings)[:40] + [{}]:
                try:
                    prim.fn(a, **params)
                except Exception:
                    pass
    return time.perf_counter() - t


def _run(job: dict) -> dict:
    """One search in this (fresh) process: what it found, its counts, times and peak RSS."""
    if job.get("root"):
        sys.path.insert(0, job["root"])
    if job["engine"] == "python":
        os.environ["MECHACODER_SOAR_COMPILED"] = "0"   # read when the DSL is first imported, just below
    if job["engine"] == "nopause":
        os.environ["MECHACODER_SOAR_GC_PAUSE"] = "0"
    from mechacoder_soar.arc import load_suite
    from mechacoder_soar.library_search.search import SearchConfig

    task = load_suite(job["suite"], task_ids=[job["task"]])[0]
    pairs = [(e.input, e.output) for e in task.train]
    cfg = SearchConfig(**job["config"])
    if job.get("root"):
        assert os.path.realpath(sys.modules["mechacoder_soar"].__file__).startswith(os.path.realpath(job["root"]))
    search = _search_fn(job["engine"])
    warm_up_s = _warm_up(search, SearchConfig)
    wall, cpu = time.perf_counter(), time.process_time()
    res = search(pairs, task.test_inputs, cfg)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {**{k: job[k] for k in ("engine", "task", "suite")}, "depth": cfg.max_depth,
            "n_evaluated": res.n_evaluated, "wall_s": wall, "cpu_s": cpu, "warm_up_s": warm_up_s,
            "twins": getattr(sys.modules.get("mechacoder_soar.library_search.compiled"), "ENABLED", False),
            "gc_pause": getattr(sys.modules.get("mechacoder_soar.library_search.gc_pause"), "ENABLED", False), "solved": res.solved,
            "exhausted": res.exhausted, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "candidates": [[c.steps, c.test_outputs] for c in res.candidates]}


def _pool_map(jobs: list[dict], workers: int) -> list[dict]:
    for j in jobs:
        if j["engine"] == "baseline":
            j["root"] = BASELINE_ROOT
    out = []
    with mp.get_context("spawn").Pool(workers, maxtasksperchild=1) as pool:
        for i, r in enumerate(pool.imap(_run, jobs, chunksize=1), 1):   # in job order, as they finish
            out.append(r)
            print(f"[{i}/{len(jobs)}] {r['engine']} {r['task']} depth {r['depth']}: {r['n_evaluated']} programs "
                  f"in {r['cpu_s']:.1f} CPU s", file=sys.stderr, flush=True)
    return out


def _fastest(rows: list[dict]) -> list[dict]:
    """Per (engine, task, depth), the repeat that took the least CPU time (on a shared machine the
    others were slowed by their neighbours); every repeat must have found the same candidates."""
    best: dict[tuple, dict] = {}
    for r in rows:
        k = (r["engine"], r["task"], r["depth"])
        if k in best and best[k]["candidates"] != r["candidates"]:
            raise RuntimeError(f"{k}: repeats of one search returned different candidates")
        if k not in best or r["cpu_s"] < best[k]["cpu_s"]:
            best[k] = r
    return list(best.values())


def throughput(budget: int, depths: list[int], tasks: tuple[str, ...], repeat: int = 1) -> dict:
    # repeats interleaved (every engine once, then again), so a burst of load hits all alike
    jobs = [{"engine": e, "task": t, "suite": "arc1-train",
             "config": {"max_depth": d, "budget": budget, "time_limit_s": 3600, "stop_after_solutions": 0}}
            for d in depths for t in tasks for _ in range(repeat) for e in ENGINES]
    rows = _fastest(_pool_map(jobs, 1))   # one at a time: a per-process figure
    out = {}
    for d in depths:
        per = {e: [r for r in rows if r["engine"] == e and r["depth"] == d] for e in ENGINES}
        summary = {}
        for e, rs in per.items():
            n = sum(r["n_evaluated"] for r in rs)
            summary[e] = {"programs": n, "per_wall_s": n / sum(r["wall_s"] for r in rs),
                          "per_cpu_s": n / sum(r["cpu_s"] for r in rs),
                          "peak_rss_mib": max(r["peak_rss_mib"] for r in rs),
                          "warm_up_s_max": max(r["warm_up_s"] for r in rs),
                          "by_task": {r["task"]: round(r["n_evaluated"] / r["cpu_s"]) for r in rs}}
        same = [a["candidates"] == b["candidates"] for e in ENGINES[1:] for a, b in zip(per[ENGINES[0]], per[e])]
        for e in ("engine",):
            for base in ("reference", "python", "baseline"):
                if e in per and base in per:
                    summary[f"ratio_cpu_{e}_vs_{base}"] = summary[e]["per_cpu_s"] / summary[base]["per_cpu_s"]
                    summary[f"ratio_wall_{e}_vs_{base}"] = summary[e]["per_wall_s"] / summary[base]["per_wall_s"]
        summary["same_candidates"] = all(same)
        summary["solved"] = sorted({r["task"] for r in rows if r["depth"] == d and r["solved"]})
        out[f"depth{d}"] = summary
    return out


def profile(budget: int, depth: int, tasks: tuple[str, ...], top: int) -> list[tuple[str, float]]:
    """Where the engine's time goes: the throughput searches run in this process under cProfile,
    own time summed per primitive or DSL helper (their code is compiled under `<primitive NAME>` /
    `<helper NAME>`), per engine module function, or per numpy/builtin call; the `top` largest shares."""
    import cProfile
    import pstats
    import re
    from collections import Counter

    from mechacoder_soar.arc import load_suite
    from mechacoder_soar.library_search.search import SearchConfig, search

    _warm_up(search, SearchConfig)   # imports and kernel loading are not the engine's time
    prof = cProfile.Profile()
    cfg = SearchConfig(max_depth=depth, budget=budget, time_limit_s=3600, stop_after_solutions=0)
    for task in load_suite("arc1-train", task_ids=list(tasks)):
        pairs = [(e.input, e.output) for e in task.train]
        prof.runcall(search, pairs, task.test_inputs, cfg)
    shares: Counter = Counter()
    groups: Counter = Counter()
    for (path, _, name), (_, _, own, _, _) in pstats.Stats(prof).stats.items():
        m = re.match(r"<(primitive|helper) (\w+)>", path)
        shares[f"{m.group(1)} {m.group(2)}" if m else f"{os.path.basename(path)}:{name}"] += own
        groups["all: primitive and helper bodies" if m else
               "all: engine, search loop, dedup, scoring" if re.search(r"library_search/(engine|search|frontier)\.py$", path) else
               "all: parameter inference and DSL modules" if "library_search" in path else
               "all: numpy, builtins and the rest"] += own
    total = sum(shares.values())
    return [(k, v / total) for k, v in groups.most_common()] + [(k, v / total) for k, v in shares.most_common(top)]


def layers(budget: int, depth: int, tasks: tuple[str, ...], suite: str = "arc1-train") -> dict:
    """Where the engine's CPU time goes, by layer, inclusive: primitive runs (every call of a
    primitive's `fn`, from the search or from inside inference, with the helpers and numpy calls it
    makes), parameter inference less the primitive runs inside it, and the rest (engine, search loop,
    dedup, scoring). The searches run twice in this process, plain and then with timers around those
    calls, so the timers' own cost shows as the gap between the two CPU times. `if_free`: the speed-up
    were one layer to cost nothing (Amdahl), the most that compiling or cutting that layer alone can
    give."""
    import dataclasses

    from mechacoder_soar.arc import load_suite
    from mechacoder_soar.library_search import engine as engine_mod
    from mechacoder_soar.library_search.primitives import PRIMITIVES
    from mechacoder_soar.library_search.search import SearchConfig, search

    _warm_up(search, SearchConfig)
    cfg = SearchConfig(max_depth=depth, budget=budget, time_limit_s=3600, stop_after_solutions=0)
    loaded = [([(e.input, e.output) for e in t.train], t.test_inputs) for t in load_suite(suite, task_ids=list(tasks))]

    def run_all() -> tuple[float, int]:
        cpu, n = time.process_time(), 0
        for pairs, tests in loaded:
            n += search(pairs, tests, cfg).n_evaluated
        return time.process_time() - cpu, n

    plain_s, programs = run_all()
    clock = time.process_time
    acc = {"prim_s": 0.0, "prim_calls": 0, "infer_s": 0.0, "infer_calls": 0, "prim_in_infer_s": 0.0}
    inside = [0]   # >0 while an inference runs: its primitive runs are not inference's own time

    def timed_fn(fn):
        def run(*args, **kwargs):
            t = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = clock() - t
                acc["prim_s"] += dt
                acc["prim_calls"] += 1
                if inside[0]:
                    acc["prim_in_infer_s"] += dt
        return run

    orig_prims, orig_infer = dict(PRIMITIVES), engine_mod.Engine.infer

    def timed_infer(self, name, frame):
        inside[0] += 1
        t = clock()
        try:
            return orig_infer(self, name, frame)
        finally:
            inside[0] -= 1
            acc["infer_s"] += clock() - t
            acc["infer_calls"] += 1

    try:
        for name, prim in orig_prims.items():
            PRIMITIVES[name] = dataclasses.replace(prim, fn=timed_fn(prim.fn))
        engine_mod.Engine.infer = timed_infer
        timed_s, timed_programs = run_all()
    finally:
        PRIMITIVES.update(orig_prims)
        engine_mod.Engine.infer = orig_infer
    if timed_programs != programs:
        raise RuntimeError(f"the timed searches evaluated {timed_programs} programs, the plain ones {programs}")
    parts = {"primitive runs": acc["prim_s"], "inference (own)": acc["infer_s"] - acc["prim_in_infer_s"]}
    parts["engine, search loop, dedup, scoring"] = max(0.0, timed_s - sum(parts.values()))
    return {"tasks": list(tasks), "depth": depth, "budget": budget, "programs": programs,
            "cpu_s_plain": plain_s, "cpu_s_timed": timed_s, "primitive_calls": acc["prim_calls"],
            "inference_calls": acc["infer_calls"],
            "layers": {k: {"cpu_s": v, "share": v / timed_s, "if_free": timed_s / max(timed_s - v, 1e-9)}
                       for k, v in parts.items()}}


def long_search(seconds: float, task: str) -> dict:
    """One depth-4 search of `task` per engine for `seconds` of wall time at the default caps, one
    process at a time: how many programs, how fast, and the peak RSS the caps allow."""
    jobs = [{"engine": e, "task": task, "suite": "arc1-train",
             "config": {"max_depth": 4, "budget": 10 ** 9, "time_limit_s": seconds, "stop_after_solutions": 0}}
            for e in ENGINES]
    return {r["engine"]: {"programs": r["n_evaluated"], "per_cpu_s": r["n_evaluated"] / r["cpu_s"],
                          "peak_rss_mib": r["peak_rss_mib"]} for r in _pool_map(jobs, 1)}


def train_solved(times: list[float], limit: int, workers: int, depths: list[int]) -> dict:
    """Per wall time and depth, every engine's train-solved tasks, the median programs per search, and
    `whole_space`: unsolved tasks whose search ended before its time ran out, every program up to that
    depth tried (speed cannot solve those: only a deeper search or another DSL can)."""
    from mechacoder_soar.arc.protocol import select_task_ids

    ids = select_task_ids("arc1-train:transfer", limit)
    out = {}
    for t in times:
        for d in depths:
            jobs = [{"engine": e, "task": tid, "suite": "arc1-train",   # the transfer half's ids
                     "config": {"budget": 10 ** 9, "time_limit_s": t, "max_depth": d}} for tid in ids for e in ENGINES]
            rows = _pool_map(jobs, workers)
            out[f"{t:g}s depth {d}"] = {
                e: {"solved": sum(r["solved"] for r in rows if r["engine"] == e), "tasks": len(ids),
                    "whole_space": sum(not r["solved"] and r["exhausted"] == "" for r in rows if r["engine"] == e),
                    "programs_median": sorted(r["n_evaluated"] for r in rows if r["engine"] == e)[len(ids) // 2]}
                for e in ENGINES}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    ap.add_argument("--budget", type=int, default=5000, help="programs per throughput search")
    ap.add_argument("--depths", default="3,4", help="throughput depths, comma-separated")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each throughput search (fresh processes, "
                    "interleaved across engines); the least CPU time counts")
    ap.add_argument("--tasks", type=int, default=len(THROUGHPUT_TASKS), help="throughput tasks (first N of the fixed set)")
    ap.add_argument("--dev-tasks", type=int, default=0, metavar="N", help="also throughput on the first N "
                    "arc1-train:transfer tasks (solved or not; first depth only)")
    ap.add_argument("--long-search", type=float, default=0, metavar="S", help="also one depth-4 search of "
                    "--long-task per engine for S seconds (programs, programs per CPU second, peak RSS)")
    ap.add_argument("--long-task", default="045e512c", choices=THROUGHPUT_TASKS, help="the task for --long-search")
    ap.add_argument("--times", default="10", help="seconds per task for train-solved, comma-separated (e.g. 10,60); empty: skip")
    ap.add_argument("--solve-depths", default="3", help="max depths for train-solved, comma-separated (e.g. 3,4)")
    ap.add_argument("--limit", type=int, default=10, help="arc1-train:transfer tasks for train-solved (first N sorted)")
    ap.add_argument("--workers", type=int, default=1, help="processes for the train-solved runs")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="only profile the engine on the throughput "
                    "tasks (first depth, --budget) and print the N largest shares of its time")
    ap.add_argument("--layers", action="store_true", help="only split the engine's CPU time into layers (primitive "
                    "runs, inference, the rest) on the throughput tasks and --dev-tasks (first depth, --budget)")
    ap.add_argument("--engines", default="", help="comma-separated subset of " + ",".join(ENGINES)
                    + " (default: all; candidates are compared with the first)")
    ap.add_argument("--baseline-tree", default="", help="a checkout of an earlier commit (e.g. `git worktree add "
                    "/tmp/base COMMIT`): its search runs too, as engine 'baseline', with its own primitives")
    a = ap.parse_args(argv)
    if a.engines:
        wanted = [e for e in a.engines.split(",") if e]
        unknown = [e for e in wanted if e not in ENGINES + OPTIONAL_ENGINES]
        if unknown or not wanted:
            ap.error(f"--engines: unknown {unknown or a.engines!r}; choose from {ENGINES + OPTIONAL_ENGINES} "
                     "(and --baseline-tree)")
        ENGINES[:] = wanted
    global BASELINE_ROOT
    if a.baseline_tree:
        if not os.path.isdir(os.path.join(a.baseline_tree, "mechacoder_soar", "library_search")):
            ap.error(f"--baseline-tree {a.baseline_tree!r} has no mechacoder_soar/library_search")
        BASELINE_ROOT = os.path.abspath(a.baseline_tree)
        ENGINES.append("baseline")
    try:
        solve_depths = [int(d) for d in a.solve_depths.split(",") if d.strip()]
    except ValueError:
        ap.error(f"--solve-depths: comma-separated integers, got {a.solve_depths!r}")
    if not solve_depths or min(solve_depths) < 1:
        ap.error(f"--solve-depths: one or more depths >= 1, got {a.solve_depths!r}")
    if (a.budget < 1 or a.limit < 0 or a.workers < 1 or a.repeat < 1 or a.dev_tasks < 0 or a.long_search < 0
            or not 1 <= a.tasks <= len(THROUGHPUT_TASKS)):
        ap.error(f"need --budget >= 1, --limit >= 0, --dev-tasks >= 0, --long-search >= 0, --workers >= 1, --repeat >= 1, "
                 f"1 <= --tasks <= {len(THROUGHPUT_TASKS)}")
    if a.profile:
        for name, share in profile(a.budget, int(a.depths.split(",")[0]), THROUGHPUT_TASKS[: a.tasks], a.profile):
            print(f"{100 * share:5.1f}%  {name}")
        return 0
    if a.layers:
        from mechacoder_soar.arc.protocol import select_task_ids

        sets = {"throughput": THROUGHPUT_TASKS[: a.tasks]}
        if a.dev_tasks:
            sets["dev"] = tuple(select_task_ids("arc1-train:transfer", a.dev_tasks))
        depth = int(a.depths.split(",")[0])
        out = {name: layers(a.budget, depth, ids) for name, ids in sets.items()}
        if a.json:
            print(json.dumps(out, indent=1))
            return 0
        for name, r in out.items():
            print(f"{name} ({len(r['tasks'])} tasks, depth {depth}, {r['programs']:,} programs): "
                  f"{r['cpu_s_plain']:.1f} CPU s plain, {r['cpu_s_timed']:.1f} timed")
            for layer, v in r["layers"].items():
                print(f"  {100 * v['share']:5.1f}%  {layer}  (free: {v['if_free']:.2f}x)")
        return 0
    report = {"budget": a.budget, "tasks": list(THROUGHPUT_TASKS[: a.tasks]), "cpus": os.cpu_count(),
              "repeat": a.repeat, "load_avg_1m_at_start": os.getloadavg()[0]}
    report["throughput"] = throughput(a.budget, [int(d) for d in a.depths.split(",")], THROUGHPUT_TASKS[: a.tasks],
                                      a.repeat)
    if a.dev_tasks:
        from mechacoder_soar.arc.protocol import select_task_ids

        dev = tuple(select_task_ids("arc1-train:transfer", a.dev_tasks))
        report["throughput_dev"] = throughput(a.budget, [int(a.depths.split(",")[0])], dev, a.repeat)
    report["load_avg_1m_at_end"] = os.getloadavg()[0]
    print(json.dumps(report["throughput"]), file=sys.stderr, flush=True)   # kept should a later part fail
    if a.long_search:
        report["long_search"] = long_search(a.long_search, a.long_task)
    times = [float(t) for t in a.times.split(",") if t.strip()]
    if times:
        report["train_solved"] = train_solved(times, a.limit, a.workers, solve_depths)
    if a.json:
        print(json.dumps(report, indent=1))
        return 0
    for depth, s in [*report["throughput"].items(),
                     *((f"dev {k}", v) for k, v in report.get("throughput_dev", {}).items())]:
        print(depth + ": " + ", ".join(f"{e} {s[e]['per_cpu_s']:.0f}/cpu-s ({s[e]['per_wall_s']:.0f}/wall-s, peak RSS "
                                       f"{s[e]['peak_rss_mib']:.0f} MiB)" for e in ENGINES))
        print("  " + ", ".join(f"{k} {v:.2f}" for k, v in s.items() if k.startswith("ratio_"))
              + f", same candidates (every engine vs {ENGINES[0]}) {s['same_candidates']}")
    for e, r in report.get("long_search", {}).items():
        print(f"long search ({a.long_search:g} s, depth 4, {a.long_task}): {e} {r['programs']:,} programs, "
              f"{r['per_cpu_s']:.0f}/cpu-s, peak RSS {r['peak_rss_mib']:.0f} MiB")
    for t, s in report.get("train_solved", {}).items():
        print(f"train-solved at {t}/task on arc1-train:transfer: "
              + ", ".join(f"{e} {s[e]['solved']}/{s[e]['tasks']} ({s[e]['whole_space']} unsolved with the "
                          f"whole space searched)" for e in ENGINES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
