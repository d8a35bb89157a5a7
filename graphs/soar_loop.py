"""The SOAR loop as a LangGraph graph. Wiring only: every node calls one engine function.

    begin_iteration --Send per unfinished task--> search_task --> learn --> score --+--> begin_iteration
                                                                                  +--> END

`search_task` fans out over tasks with `Send` (bounded by the run config's `max_concurrency`).
The SQLite checkpointer stores each superstep and the writes of tasks that finished inside an
interrupted superstep, so `--resume` after a kill continues without re-running finished tasks;
attempt ids are deterministic and journalled, so a task that was mid-search is not duplicated.
"""
from __future__ import annotations

import operator
import sqlite3
import time
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from mechacoder_soar.context import RunContext
from mechacoder_soar.learning import learn_iteration
from mechacoder_soar.results import IterationRow, LearnSummary, TaskSummary
from mechacoder_soar.scoring import score_iteration
from mechacoder_soar.task_search import search_task


def merge(a: dict | None, b: dict | None) -> dict:
    return {**(a or {}), **(b or {})}


class LoopState(TypedDict, total=False):
    iteration: int
    iterations: int
    task_ids: list[str]
    started: dict[str, float]
    results: Annotated[dict[str, TaskSummary], merge]   # "iteration:task_id" -> search summary
    learned: Annotated[dict[str, LearnSummary], merge]  # "iteration" -> learning summary
    metrics: Annotated[list[IterationRow], operator.add]


class TaskInput(TypedDict):
    task_id: str
    iteration: int


def _key(it: int, task_id: str) -> str:
    return f"{it}:{task_id}"


def begin_iteration(state: LoopState) -> dict:
    it = state["iteration"]
    if str(it) in state.get("started", {}):
        return {}
    return {"started": {**state.get("started", {}), str(it): time.time()}}


def fan_out(state: LoopState) -> list[Send] | str:
    it = state["iteration"]
    todo = [t for t in state["task_ids"] if _key(it, t) not in state.get("results", {})]
    return [Send("search_task", {"task_id": t, "iteration": it}) for t in todo] or "learn"


def search_task_node(inp: TaskInput, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    if ctx.search_backend is not None:  # e.g. --executor ray
        summary = ctx.search_backend(inp["task_id"], inp["iteration"])
    else:
        summary = search_task(ctx, inp["task_id"], inp["iteration"])
    return {"results": {_key(inp["iteration"], inp["task_id"]): summary}}


def _summaries(state: LoopState) -> list[TaskSummary]:
    it = state["iteration"]
    return [state["results"][_key(it, t)] for t in state["task_ids"]]


def learn_node(state: LoopState, runtime: Runtime[RunContext]) -> dict:
    it = state["iteration"]
    return {"learned": {str(it): learn_iteration(runtime.context, it, _summaries(state))}}


def score_node(state: LoopState, runtime: Runtime[RunContext]) -> dict:
    it = state["iteration"]
    wall = time.time() - state.get("started", {}).get(str(it), time.time())
    row = score_iteration(runtime.context, it, _summaries(state), state["learned"][str(it)], wall)
    return {"metrics": [row], "iteration": it + 1}


def next_step(state: LoopState) -> str:
    return "begin_iteration" if state["iteration"] < state["iterations"] else END


def build_graph() -> StateGraph:
    g = StateGraph(LoopState, context_schema=RunContext)
    g.add_node("begin_iteration", begin_iteration)
    g.add_node("search_task", search_task_node, input_schema=TaskInput)
    g.add_node("learn", learn_node)
    g.add_node("score", score_node)
    g.add_edge(START, "begin_iteration")
    g.add_conditional_edges("begin_iteration", fan_out, ["search_task", "learn"])
    g.add_edge("search_task", "learn")
    g.add_edge("learn", "score")
    g.add_conditional_edges("score", next_step, ["begin_iteration", END])
    return g


def compile_loop(checkpoint_db: str):
    conn = sqlite3.connect(checkpoint_db, check_same_thread=False)
    return build_graph().compile(checkpointer=SqliteSaver(conn))


def run_config(thread_id: str, concurrency: int, iterations: int) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}, "max_concurrency": concurrency,
            "recursion_limit": 10 + 6 * iterations}
