"""Shared by the transfer benchmarks (self_improvement.py, search_transfer.py, stepping_stones.py,
dsl_coverage.py): task selection under the development protocol, learning a library, and the
search-at-every-budget evaluation of a library.

Evaluation: each task is searched once, up to `max_budget` candidate programs, steered exactly as
the library proposer steers it (`LibrarySearchProposer.steer`), recording when (in evaluations)
each train-correct program was found. The search is deterministic under a program budget, so
"solved within B programs" for every B <= max_budget falls out of that one run. At a budget B:

    train-solved   a train-correct program was found within B;
    pass@2         the first two train-correct programs found within B (distinct answers: the search
                   keys them by test output, as the vote groups them) get every test output right
                   between them: ARC Prize's rule (`arc.scoring.solved_at_2`).
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)


def select_tasks(suite: str, limit: int | None = None, *, final: bool = False) -> list:
    """Tasks (with their hidden answers, for scoring only) chosen the one protocol way: sorted
    ids, the first `limit`; eval suites only with `final` and never a subset."""
    from mechacoder_soar.arc.protocol import select_task_ids
    from mechacoder_soar.suites import load_tasks

    return load_tasks(suite, None, select_task_ids(suite, limit, final=final))


def budgets_up_to(max_budget: int) -> list[int]:
    return [b for b in BUDGETS if b < max_budget] + [max_budget]


def learn_iterations(library, suite: str, limit: int | None, iterations: int, run_dir: Path, *, budget: int,
                     budget_sample: int = 8, budget_refine: int = 2, concurrency: int = 2,
                     on_iteration: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Run the SOAR loop on `suite` for `iterations` learning iterations into `library` (an open
    SkillStore); `on_iteration(it, row)` is called after each (it = 1..iterations)."""
    from graphs.runner import run_loop
    from mechacoder_soar.arc.protocol import check_suite
    from mechacoder_soar.config import RunConfig
    from mechacoder_soar.library_search.config import SearchConfig

    check_suite(suite, limit=limit)
    rows = []
    for it in range(1, iterations + 1):
        t = time.time()
        cfg = RunConfig(suite=suite, limit=limit, iterations=it, run_dir=str(run_dir), proposer="library",
                        budget_sample=budget_sample, budget_refine=budget_refine,
                        search=SearchConfig(budget=budget, time_limit_s=300.0), concurrency=concurrency)
        row = dict(run_loop(cfg, library=library, resume=it > 1)["iterations"][-1])
        row["learn_wall_s"] = round(time.time() - t, 1)
        rows.append(row)
        if on_iteration:
            on_iteration(it, row)
    return rows


def steer_all(library, tasks: list, observed: list = ()) -> list[dict]:
    """The search arguments the library proposer would use for each task (order, learned
    compositions, prior: as `sample` passes them with seed 0), from an open library. `observed`:
    the tasks the library was learned on, whose train inputs the recognition model dreams on (as
    it did while learning)."""
    from mechacoder_soar.proposers.library import LibrarySearchConfig, LibrarySearchProposer, ensure_seed_skills

    ensure_seed_skills(library)
    prop = LibrarySearchProposer(library, LibrarySearchConfig(processes=1))
    try:
        prop.observe([t.public() for t in observed])
        out = []
        for t in tasks:
            st = prop.steer(t.public(), [])
            out.append({"order": st.order, "extra_programs": st.extras, "prior": st.prior, "step_prior": st.step_prior})
        return out
    finally:
        prop.close()


def search_task(pairs: list, tests: list, test_outputs: list, steer: dict, budget: int, time_cap: float) -> dict:
    """One deterministic search: when each train-correct program was found, and which test
    outputs it gets right."""
    from mechacoder_soar.library_search.search import SearchConfig, search

    res = search(pairs, tests, SearchConfig(budget=budget, time_limit_s=time_cap), **steer)
    found = sorted((c.found_at, [o == w for o, w in zip(c.test_outputs, test_outputs)])
                   for c in res.candidates if c.fully_correct)
    return {"found": found, "evaluated": res.n_evaluated, "exhausted": res.exhausted,
            "seconds": round(res.elapsed_s, 2)}


def at_budget(r: dict, b: int) -> tuple[bool, bool]:
    """(train-solved, pass@2) of one task's search result at budget b."""
    from mechacoder_soar.arc.scoring import solved_at_2

    subs = [hits if isinstance(hits, list) else [hits] for at, hits in r["found"] if at <= b][:2]
    if not subs:
        return False, False
    return True, solved_at_2([any(h) for h in zip(*subs)])


def search_all(tasks: list, steers: list[dict], max_budget: int, time_cap: float, workers: int,
               label: str = "") -> list[dict]:
    """Search every task (in worker processes, spawned: the caller holds Chroma and threads)."""
    import multiprocessing as mp

    t0 = time.time()
    out = []
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
        futs = [ex.submit(search_task, [(e.input, e.output) for e in t.train], t.test_inputs, t.test_outputs,
                          st, max_budget, time_cap) for t, st in zip(tasks, steers)]
        for i, f in enumerate(futs, 1):
            out.append(f.result())
            if i % 20 == 0 or i == len(futs):
                print(f"  {label}: {i}/{len(futs)} tasks searched, {time.time() - t0:.0f} s", flush=True)
    capped = sum(r["exhausted"] == "time" for r in out)
    if capped:
        print(f"  {label}: {capped} searches hit the time cap before the budget (raise --time-cap): "
              "those figures depend on machine speed", flush=True)
    return out


def curve(results: list[dict], budgets: list[int]) -> list[dict]:
    """Per budget: tasks train-solved and tasks passed at 2."""
    rows = []
    for b in budgets:
        hits = [at_budget(r, b) for r in results]
        rows.append({"budget": b, "train_solved": sum(s for s, _ in hits), "pass_at_2": sum(p for _, p in hits)})
    return rows


def run_main(main: Callable[[], object]) -> None:
    """Run a benchmark's main; a protocol or data error ends it with its message, not a traceback."""
    from mechacoder_soar.arc.protocol import ProtocolError
    from mechacoder_soar.arc.suites import ArcDataError

    try:
        main()
    except (ProtocolError, ArcDataError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
