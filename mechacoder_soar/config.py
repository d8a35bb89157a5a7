"""The commands' configurations: `RunConfig` (`soar run` / `soar adapt`, written to the run
directory as config.json) and `CurriculumConfig` (`soar curriculum`). Light to import: the CLI
derives its flags' defaults from them.

The library search's settings are `library_search.config.SearchConfig`, embedded (`RunConfig.search`)
rather than copied, so each default has one source. Fields no `soar run` flag sets say why in
their `internal` metadata (tests/mechacoder_soar/cli/test_run_flags.py holds every other field to a flag).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .library_search.config import SearchConfig

if TYPE_CHECKING:
    from .proposers.library import LibrarySearchConfig

# The flat names config.json files used before `search` was embedded (and the `soar run` options'
# Python names): RunConfig key -> SearchConfig field.
FLAT_SEARCH_KEYS = {"search_time_s": "time_limit_s", "search_budget": "budget", "search_depth": "max_depth"}


def _internal(default: Any, why: str) -> Any:
    return field(default=default, metadata={"internal": why})


@dataclass
class RunConfig:
    suite: str = "arc1-train"
    limit: int | None = None
    task_ids: list[str] = field(default_factory=list)
    iterations: int = 2
    budget_sample: int = 8          # programs sampled per task per iteration
    budget_refine: int = 4          # refinements per task per iteration
    sample_batch: int = 8           # programs asked of the proposer per call
    proposer: str = "library"       # "library" | "local/smollm2" | any litellm model string
    api_base: str | None = None
    temperature: float = 1.0
    min_p: float | None = None
    max_tokens: int = 1024
    store: str | None = None
    namespace: str = "default"
    run_dir: str = "runs/latest"
    k_skills: int = 4               # skills shown per prompt / retrieved per task
    rex_c: float = 20.0             # REX exploration constant (higher: refine less-accurate parents more)
    early_stop_correct: int = 100   # stop searching a task once this many programs are train-correct
    concurrency: int = 2            # tasks searched at once
    workers: int = 2                # sandboxed executor workers
    program_timeout_s: float = 2.0
    # SOAR's learning recipe (how many of each kind of skill an iteration keeps per task)
    solved_per_task: int = _internal(2, "learning recipe: solved programs stored per task and iteration")
    hindsight_best: int = _internal(5, "learning recipe: greedy-diverse selection, best-by-accuracy half ...")
    hindsight_diverse: int = _internal(5, "... and output-distinct lowest half (SOAR: 25 + 25)")
    refine_pairs_per_bin: int = _internal(2, "learning recipe: improving refinements kept per parent-accuracy bin")
    stones_per_task: int = _internal(3, "cross-iteration memory (task_memory.py): an unsolved task's closest misses "
                                     "kept by learning and extended first by the next search on it; 0: off "
                                     "(benchmarks/adapt_lift.py compares)")
    learn: bool = True              # False: search and score only (evaluation at a fixed library)
    adapt: bool = _internal(False, "set by the command: `soar adapt` (learn from pseudo-labels only)")
    adapt_from: str | None = None   # adapt: the store holding the base library (None: `store`)
    base_namespace: str = "default" # adapt: the base library's namespace (left untouched unless merge)
    merge: bool = False             # adapt: fold the learned skills into the base at the end
    search: SearchConfig = field(default_factory=SearchConfig)  # library search, per task per call
    seed: int = 0
    executor: str = "local"         # where per-task search runs: "local" | "ray" (mechacoder_soar/distributed)
    ray_address: str | None = None  # --executor ray: ray.init(address=...); None starts a local cluster

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        """A RunConfig from config.json's dict: `search` nested, or (older files) flat
        `search_time_s` / `search_budget` / `search_depth` keys. Unknown keys are an error."""
        data = dict(data)
        search = dict(data.pop("search", None) or {})
        for flat, name in FLAT_SEARCH_KEYS.items():
            if flat in data:
                search.setdefault(name, data.pop(flat))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown run config key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        search_known = {f.name for f in fields(SearchConfig)}
        bad = sorted(set(search) - search_known)
        if bad:
            raise ValueError(f"unknown search config key(s) {', '.join(bad)}; known: {', '.join(sorted(search_known))}")
        return cls(**data, search=SearchConfig(**search))

    @classmethod
    def load(cls, path: Path) -> "RunConfig":
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None


GENERATORS = ("hindsight", "prefix", "subset", "teacher")

# The curriculum's student searches with a smaller budget than a run: every candidate batch costs
# repeats x held-out tasks searches (and subset stones search with it too). All else as SearchConfig.
STUDENT_SEARCH = SearchConfig(time_limit_s=2.0, budget=3000)


def _student():
    # the proposer's config loads the recognition model's modules: only when a curriculum is built
    from .proposers.library import LibrarySearchConfig

    return LibrarySearchConfig(search=STUDENT_SEARCH)


class CurriculumError(ValueError):
    """Bad input to the curriculum (too few hard tasks, unknown generator, ...); says which."""


@dataclass
class CurriculumConfig:
    holdout: int = 3                  # hard tasks the student is measured on
    holdout_ids: tuple[str, ...] = ()  # ... or exactly these (overrides `holdout`)
    repeats: int = 2                  # student runs averaged per measurement
    # the student: `LibrarySearchProposer`'s steering and search, with STUDENT_SEARCH
    student: LibrarySearchConfig = field(default_factory=_student)
    stones_per_batch: int = 6
    min_gain: float = 0.0             # admit iff mean gain > min_gain
    generators: tuple[str, ...] = GENERATORS
    seed: int = 0
    dry_run: bool = False             # measure only; never write the real library

    def __post_init__(self) -> None:
        if self.holdout < 1 or self.repeats < 1 or self.stones_per_batch < 1:
            raise CurriculumError(f"holdout, repeats and stones_per_batch must be >= 1, got {self.holdout}, {self.repeats}, {self.stones_per_batch}")
        unknown = set(self.generators) - set(GENERATORS)
        if unknown:
            raise CurriculumError(f"unknown stepping-stone generator(s) {sorted(unknown)}; known: {', '.join(GENERATORS)}")
