#!/bin/sh
# The Python course's seeded runs (issue 14), one at a time, 2 threads, niced: MRPC 1377 steps for each seed
# given (default 42 1 2), then SST-2 at 500 and 2000 steps (seed 42). Each run's record lands in
# bench/python/results/ (its tqdm progress in <name>.log while it runs); a run whose record already exists is
# skipped, so the script can be re-run to continue.
#   sh bench/python/seeded-runs.sh [seed ...]        (PYTHON=.venv/bin/python by default)
set -e
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
OUT=bench/python/results
export HF_HUB_OFFLINE=1
run() { # name, args...
  name=$1; shift
  if [ -f "$OUT/$name.json" ]; then echo "skip $name (exists)"; return; fi
  echo "run $name"
  nice -n 10 "$PY" bench/python/course.py --threads 2 --out "$OUT/$name.json" "$@" > "$OUT/$name.log" 2>&1 && rm -f "$OUT/$name.log"
}
for s in ${*:-42 1 2}; do run "mrpc-seed$s" --task mrpc --seed "$s"; done
run sst2-steps500-seed42 --task sst2 --seed 42 --max-steps 500
run sst2-steps2000-seed42 --task sst2 --seed 42 --max-steps 2000
