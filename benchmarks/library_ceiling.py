"""How much can a learned library give tasks it never saw? The ceiling of steering, measured.

    .venv/bin/python benchmarks/library_ceiling.py --library STORE --limit 100 --budget 2000
    .venv/bin/python benchmarks/library_ceiling.py --learn-limit 60 --limit 60      # learns a library first

The library lifts a search in two ways: its programs are tried whole (learned compositions, also
with their settings re-inferred on the new task), and its recognition model reorders the
primitives. However it is steered, the search can only find what the DSL reaches. This measures,
on `arc1-train:transfer` (the first --limit tasks, sorted ids; another dev suite with --suite):

    library      tasks some library program solves, tried as the search tries a learned composition
                 (as it is, last step re-inferred, every step re-inferred): what perfect retrieval
                 would give with a handful of programs per task
    seeds        tasks the seed library's search solves within --budget programs (steered as the
                 library proposer steers it), and within --reach-budget (10x more by default): the
                 DSL's reach at depth 3, as far as a search can tell
    union        library or reach: what perfect retrieval plus ten times the search would find, so
                 union / seeds estimates the most that steering alone (reordering the search, trying
                 the library's programs) can lift train-solved at --budget
    rank         for each task the library solves, where the recognition model puts the first
                 library program that solves it among the programs it ranks (0 = the nearest
                 neighbour's); the search tries the first `RecognitionConfig.programs`

Only the learning half's inputs are dreamed on; the measured tasks are never learned from.
--json writes the per-task detail.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from transfer_eval import run_main, search_all, select_tasks, steer_all  # noqa: E402

RANK_BINS = ((0, 0), (1, 5), (6, 20), (21, 10**9))


def library_programs(library) -> list[list]:
    """Every distinct program the library holds (solved and hindsight skills), in a fixed order."""
    from mechacoder_soar.proposers.library import _steps
    from mechacoder_soar.recognition.dreams import program_key

    progs = {}
    for s in library.all():
        steps = _steps(s.meta) if s.source != "seed" else None
        if steps:
            progs.setdefault(program_key(steps), steps)
    return [progs[k] for k in sorted(progs)]


def solving_programs(job: tuple) -> list[int]:
    """Indices of the programs in `job[2]` that solve every train pair of the task (`job[0]`
    train pairs, `job[1]` test inputs) in one of the variants the search would try."""
    from mechacoder_soar.library_search.engine import Engine
    from mechacoder_soar.library_search.search import SearchConfig, composition_variants

    pairs, tests, programs = job
    eng = Engine(pairs, tests, SearchConfig())
    out = []
    for i, prog in enumerate(programs):
        for v in composition_variants(eng, prog):
            frame = eng.run_from(eng.root, v)
            if frame is not None and all(e == 1.0 for e in eng.agreement(frame[0])):
                out.append(i)
                break
    return out


def recognition_ranks(library, tasks: list, observed: list, programs: list[list], solvers: list[list[int]]) -> list:
    """Per task: the rank of the first solving program in the recognition model's ranking of every
    program it knows (None: the task has no solving program, or the model ranks none of them)."""
    from mechacoder_soar.proposers.library import LibrarySearchConfig, LibrarySearchProposer
    from mechacoder_soar.recognition import RecognitionConfig, RecognizerConfig
    from mechacoder_soar.recognition.dreams import program_key

    everything = RecognitionConfig(k=10**6, programs=10**6)
    prop = LibrarySearchProposer(library, LibrarySearchConfig(processes=1, recognizer=RecognizerConfig(model=everything)))
    try:
        prop.observe([t.public() for t in observed])
        prop.steer(tasks[0].public(), [])   # trains the model once, on the library as it is
        ranks = []
        for t, idx in zip(tasks, solvers):
            keys = {program_key(programs[i]) for i in idx}
            ranked = prop.recognizer.predict(t.public()).programs if keys else []
            ranks.append(next((r for r, p in enumerate(ranked) if program_key(p) in keys), None))
        return ranks
    finally:
        prop.close()


def learn_library(location: str, args: argparse.Namespace) -> None:
    """Learn a library on the first --learn-limit learn tasks (the real loop, library proposer)."""
    from transfer_eval import learn_iterations

    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    with SkillStore(StoreConfig(location=location)) as lib:
        learn_iterations(lib, "arc1-train:learn", args.learn_limit, args.iterations, Path(location).parent / "run",
                         budget=args.learn_budget, concurrency=args.workers,
                         on_iteration=lambda it, row: print(f"learning iteration {it}: train-solved "
                                                           f"{row['train_solved']}", flush=True))


def summarise(ids: list[str], solvers: list[list[int]], seeds: list[dict], ranks: list, n_programs: int,
              shown: int, budget: int) -> dict:
    """Counts over the tasks; `seeds` are searches run to the reach budget (`found`: [at, hits]...)."""
    lib = [bool(s) for s in solvers]
    reach = [bool(r["found"]) for r in seeds]
    seed = [bool(r["found"]) and r["found"][0][0] <= budget for r in seeds]
    bins = Counter()
    for r in ranks:
        if r is not None:
            bins[next(f"{lo}-{hi}" if hi < 10**9 else f">{lo - 1}" for lo, hi in RANK_BINS if lo <= r <= hi)] += 1
    out = {"tasks": len(ids), "programs": n_programs, "library": sum(lib), "seeds": sum(seed), "reach": sum(reach),
           "union": sum(a or b for a, b in zip(lib, reach)), "library_only": sum(a and not b for a, b in zip(lib, reach)),
           "ranked_within_tried": sum(r is not None and r < shown for r in ranks), "rank_bins": dict(bins)}
    out["union_over_seeds"] = round(out["union"] / out["seeds"], 3) if out["seeds"] else None
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", help="a store learned on arc1-train:learn (copied; never written)")
    ap.add_argument("--learn-limit", type=int, default=60, help="without --library: learn on the first N learn tasks")
    ap.add_argument("--iterations", type=int, default=1, help="without --library: learning iterations")
    ap.add_argument("--learn-budget", type=int, default=2000, help="without --library: programs per search call")
    ap.add_argument("--suite", default="arc1-train:transfer", help="a development suite (never arc1-eval)")
    ap.add_argument("--limit", type=int, default=100, help="the first N tasks of --suite (sorted ids)")
    ap.add_argument("--budget", type=int, default=2000, help="programs per task the lift is estimated at")
    ap.add_argument("--reach-budget", type=int, default=20000, help="programs per seeds search (the DSL's reach)")
    ap.add_argument("--time-cap", type=float, default=120.0, help="seconds per search (a safety cap)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", dest="json_out", help="write the summary and per-task detail here")
    args = ap.parse_args(argv)
    if args.limit < 1 or args.budget < 1 or args.learn_limit < 1 or args.reach_budget < args.budget:
        ap.error("--limit, --budget and --learn-limit must be >= 1, --reach-budget >= --budget")
    return args


def main() -> None:
    import multiprocessing as mp

    from mechacoder_soar.recognition import RecognitionConfig
    from skills_store import StoreConfig
    from skills_store.store import SkillStore

    args = parse_args()
    tasks = select_tasks(args.suite, args.limit)   # the protocol refuses eval suites here
    learn = select_tasks("arc1-train:learn")
    work = Path(tempfile.mkdtemp(prefix="library_ceiling_"))
    try:
        location = str(work / "learned")
        if args.library:
            shutil.copytree(args.library, location, ignore=shutil.ignore_patterns(".soar.lock"))
        else:
            learn_library(location, args)
        with SkillStore(StoreConfig(location=str(work / "seeds"))) as seeds_lib:
            seed_steers = steer_all(seeds_lib, tasks)
        seeds = search_all(tasks, seed_steers, args.reach_budget, args.time_cap, args.workers, "seeds")
        with SkillStore(StoreConfig(location=location)) as lib:
            programs = library_programs(lib)
            print(f"{len(programs)} library programs, each tried on {len(tasks)} tasks", flush=True)
            jobs = [([(e.input, e.output) for e in t.train], t.test_inputs, programs) for t in tasks]
            with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("spawn")) as ex:
                solvers = list(ex.map(solving_programs, jobs))
            ranks = recognition_ranks(lib, tasks, learn, programs, solvers)
        s = summarise([t.id for t in tasks], solvers, seeds, ranks, len(programs), RecognitionConfig().programs,
                      args.budget)
        print(f"\n{args.suite} (first {len(tasks)}): library programs solve {s['library']}; the seeds search "
              f"{s['seeds']} within {args.budget} programs, {s['reach']} within {args.reach_budget}; library or "
              f"reach {s['union']} ({s['library_only']} by the library only): steering alone lifts train-solved at "
              f"{args.budget} programs by about {s['union_over_seeds']}x at most")
        print(f"recognition rank of the first solving program: {s['rank_bins']}; within the "
              f"{RecognitionConfig().programs} the search tries: {s['ranked_within_tried']} of {s['library']}")
        if args.json_out:
            detail = [{"id": t.id, "library_programs": [programs[i] for i in idx[:5]], "n_solving": len(idx),
                       "seeds_found_at": r["found"][0][0] if r["found"] else None, "rank": rank}
                      for t, idx, r, rank in zip(tasks, solvers, seeds, ranks)]
            Path(args.json_out).write_text(json.dumps({"args": vars(args), "summary": s, "tasks": detail}, indent=1))
            print(f"wrote {args.json_out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
