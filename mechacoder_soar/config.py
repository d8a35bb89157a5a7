"""Run configuration: one typed dataclass, written to the run directory as config.json."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


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
    rex_c: float = 20.0
    early_stop_correct: int = 100   # stop searching a task once this many programs are train-correct
    concurrency: int = 2            # tasks searched at once
    workers: int = 2                # sandboxed executor workers
    program_timeout_s: float = 2.0
    solved_per_task: int = 2        # solved programs stored as skills per task and iteration
    hindsight_best: int = 5         # greedy-diverse selection: best-by-accuracy half ...
    hindsight_diverse: int = 5      # ... and output-distinct lowest half (SOAR: 25 + 25)
    refine_pairs_per_bin: int = 2
    learn: bool = True              # False: search and score only (evaluation at a fixed library)
    adapt: bool = False             # `soar adapt`: learn into `namespace`, seeded from the base library
    adapt_from: str | None = None   # adapt: the store holding the base library (None: `store`)
    base_namespace: str = "default" # adapt: the base library's namespace (left untouched unless merge)
    merge: bool = False             # adapt: fold the learned skills into the base at the end
    search_time_s: float = 20.0     # library search: time limit per task per call
    search_budget: int = 20_000     # library search: candidate programs per task per call (the
                                    # machine-independent budget; the time limit is a safety cap)
    search_depth: int = 3
    seed: int = 0
    executor: str = "local"         # where per-task search runs: "local" | "ray" (mechacoder_soar/distributed)
    ray_address: str | None = None  # --executor ray: ray.init(address=...); None starts a local cluster

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> "RunConfig":
        return cls(**json.loads(path.read_text()))
