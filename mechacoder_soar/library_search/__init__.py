"""The no-LLM proposer's engine: a seed library of ARC grid primitives (the DSL) and an in-process
enumerative search that composes them.

    from mechacoder_soar.library_search import PRIMITIVES, search, SearchConfig, render_program
"""
from .primitives import PRIMITIVES, Primitive, Step, render_program, run_steps, to_array, to_grid, validate_steps
from .search import Candidate, SearchConfig, SearchResult, diagnose, mutate, search

__all__ = [
    "PRIMITIVES", "Primitive", "Step", "render_program", "run_steps", "to_array", "to_grid", "validate_steps",
    "Candidate", "SearchConfig", "SearchResult", "diagnose", "mutate", "search",
]
