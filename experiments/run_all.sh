#!/usr/bin/env bash
# Run every experiment sweep, collect it and write its figure and table into
# docs/ (sweep directories go to outputs/experiments/, which git ignores).
# Rerunning skips finished cells. Extra arguments go to `alrnn sweep run`,
# e.g. `--launcher slurm --partition gpu`.
set -euo pipefail
cd "$(dirname "$0")/.."
for name in stimulus_selection_explicit stimulus_selection_implicit multitask low_data sequence; do
  alrnn -q sweep run "experiments/$name.toml" --out "outputs/experiments/$name" "$@"
  alrnn -q sweep collect "outputs/experiments/$name"
done
python experiments/report.py
python experiments/make_pretrained.py
