#!/usr/bin/env bash
# Set up (if needed) and run the main job on the embedded defaults: the no-LLM library search over
# a slice of ARC-AGI-1 training tasks, several iterations. Extra args go to `soar run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stamp=$(date +%Y%m%d-%H%M%S)
exec .venv/bin/soar run --suite arc1-train --limit 40 --iterations 3 --budget-sample 8 --budget-refine 4 \
  --search-time 3 --store runs/store --run-dir "runs/run-$stamp" "$@"
