"""A LangGraph agent that uses the skill library as its long-term store — no LLM needed.

    .venv/bin/python examples/langgraph_agent.py [--store DIR]

The graph:  retrieve -> attempt -> test -> record -> (retry with refine retrieval | end)

* retrieve: `store.search(("skills",), query=task)` (first try) or the refine ranking with the
  failure in the query (`filter={"mode": "refine"}`) after a failed try.
* attempt:  stands in for the LLM: take the best retrieved skill not yet tried, as is.
* test:     run the task's tests on it, in a subprocess (the agent runs its own tests, like any
            coding agent; the memory service itself never executes code).
* record:   `store.put(("attempts",), attempt_id, {...})`: stores the attempt, updates the used
            skill's success rate, and turns a pass into a solved skill / a failure with observed
            outputs into a hindsight skill.

With an LLM, `attempt` would prompt it with the retrieved skills; nothing else changes.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TASK = "sort a list of numbers from largest to smallest"
TESTS = [([3, 1, 2], [3, 2, 1]), ([5], [5]), ([1, 9, 4, 9], [9, 9, 4, 1])]
SEED = [
    {"code": "def solve(xs):\n    return sorted(xs)", "description": "sort numbers in ascending order (smallest first)",
     "source": "seed"},
    {"code": "def solve(xs):\n    return sorted(xs, reverse=True)", "description": "sort numbers in descending order",
     "source": "seed"},
    {"code": "def solve(s):\n    return s[::-1]", "description": "reverse a string", "source": "seed"},
]


class State(TypedDict, total=False):
    task: str
    candidates: list[dict]      # retrieved skills (value dicts)
    tried: list[str]            # skill ids already used
    code: str
    skill_id: str
    passed: bool
    feedback: str
    observations: list[dict]
    tries: int


def retrieve(state: State, runtime) -> State:
    store = runtime.store
    if state.get("tries", 0) == 0:
        hits = store.search(("skills",), query=state["task"], limit=3)
    else:
        hits = store.search(("skills",), query=f"{state['task']}\n{state['feedback']}", filter={"mode": "refine"}, limit=3)
    return {"candidates": [h.value for h in hits]}


def attempt(state: State) -> State:
    tried = state.get("tried", [])
    pick = next((c for c in state["candidates"] if c["id"] not in tried), state["candidates"][0])
    return {"code": pick["code"], "skill_id": pick["id"], "tried": [*tried, pick["id"]]}


def run_tests(state: State) -> State:
    harness = state["code"] + "\nimport json, sys\nprint(json.dumps([solve(x) for x in json.loads(sys.argv[1])]))\n"
    proc = subprocess.run([sys.executable, "-I", "-c", harness, json.dumps([i for i, _ in TESTS])],
                          capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        return {"passed": False, "feedback": proc.stderr.strip().splitlines()[-1], "observations": []}
    outs = json.loads(proc.stdout)
    ok = [o == want for o, (_, want) in zip(outs, TESTS)]
    fails = [f"solve({i}) returned {o}, expected {w}" for (i, w), o, g in zip(TESTS, outs, ok) if not g]
    return {"passed": all(ok), "feedback": "; ".join(fails),
            "observations": [{"input": i, "output": o} for (i, _), o in zip(TESTS, outs)]}


def record(state: State, runtime) -> State:
    aid = uuid.uuid4().hex
    runtime.store.put(("attempts",), aid, {
        "task": state["task"], "code": state["code"], "passed": state["passed"],
        "tests_passed": 0 if not state["observations"] else sum(
            o["output"] == w for o, (_, w) in zip(state["observations"], TESTS)),
        "tests_total": len(TESTS), "feedback": state["feedback"] or None,
        "observations": [] if state["passed"] else state["observations"],
        "skill_ids": [state["skill_id"]], "mode": "sample" if state.get("tries", 0) == 0 else "refine",
    })
    print(f"recorded attempt {aid[:8]} with skill {state['skill_id']}: passed={state['passed']} {state['feedback']}")
    return {"tries": state.get("tries", 0) + 1}


def next_step(state: State) -> str:
    return "end" if state["passed"] or state["tries"] >= 3 else "retry"


def build_graph(store):
    from langgraph.graph import END, START, StateGraph

    g = StateGraph(State)
    g.add_node("retrieve", retrieve)
    g.add_node("attempt", attempt)
    g.add_node("test", run_tests)
    g.add_node("record", record)
    g.add_edge(START, "retrieve")
    g.add_edge("retrieve", "attempt")
    g.add_edge("attempt", "test")
    g.add_edge("test", "record")
    g.add_conditional_edges("record", next_step, {"retry": "retrieve", "end": END})
    return g.compile(store=store)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", help="store directory (default: a temporary one)")
    args = ap.parse_args()

    from skills_store import StoreConfig
    from skills_store.langgraph_store import SkillMemoryStore
    from skills_store.service import MemoryService
    from skills_store.store import SkillStore
    from mechacoder_soar.cli.serve import hindsight_relabeller

    location = args.store or tempfile.mkdtemp(prefix="soar-lg-")
    with SkillStore(StoreConfig(location=location)) as skills:
        store = SkillMemoryStore(MemoryService(skills, relabeller=hindsight_relabeller()))
        for i, s in enumerate(SEED):
            store.put(("skills",), f"seed-{i}", s)
        final = build_graph(store).invoke({"task": TASK})
        print(f"final: passed={final['passed']} after {final['tries']} attempt(s)")
        for sid in final["tried"]:
            v = store.get(("skills",), sid).value
            print(f"  {sid} sample {v['sampling_ema']:.2f}/{v['sampling_uses']} refine {v['refine_ema']:.2f}/{v['refine_uses']}"
                  f"  {v['description']}")
        print("library:", skills.stats()["by_source"])


if __name__ == "__main__":
    main()
