"""The no-LLM proposer's engine: a seed library of ARC grid primitives (the DSL) and an in-process
enumerative search that composes them.

    from mechacoder_soar.library_search.primitives import PRIMITIVES, render_program
    from mechacoder_soar.library_search.search import search, mutate
    from mechacoder_soar.library_search.config import SearchConfig

The package imports nothing itself, so the configs that embed `SearchConfig` (the run's, the
CLI's) load without the engine (numpy, the DSL).
"""
