#!/bin/bash
# The GPU session of issue 22, in one call of at most GPU_RUN_SECONDS (default 500 s, under a 10-minute limit):
#   1. install the wheels the GPU machine lacks from .device/whl/ (no package registry there; scripts/gpu-wheels.sh
#      fetches them beforehand on a machine that has one), and record the machine (nvidia-smi);
#   2. measure GPU performance while the GPU is idle (python -m benchmarks.gpu, at most 170 s): matmul peak, the
#      grokking transformer for one seed and GPU_RUN_SEEDS (16) vmapped seeds, PyTorch eager and torch.compile if it
#      imports, our step at the highest and at bfloat16 matmul precision (each written as soon as it is measured);
#   3. run every page of the book in full mode (python -m dltheory.book.fullrun), GPU_RUN_PARALLEL (16) at a time,
#      all stopped at the end of the time left, and write the results bundle with the performance files in it.
#
# usage, from the repository's root on the GPU machine (OUT: the folder whose files come back):
#   DLTHEORY_COMMIT=<the commit checked out> bash scripts/gpu-run.sh "$OUT"
# then, back in the repository: copy DEST/full-gpu/<date>-<commit>/ into results/full-gpu/ and commit it.
# GPU_RUN_TINY=1 checks this script on a CPU in a few minutes: tiny measurements and only GPU_RUN_PAGES, fast mode.
# GPU_RUN_MODE=fast runs the book's fast mode on the GPU instead (issue 16: the fast-mode claims must hold on a GPU as
# on a CPU); its bundle goes to DEST/fast-gpu/, to compare with a CPU build, and is not one for results/full-gpu/.
set -u
cd "$(dirname "$0")/.."
DEST=${1:?usage: bash scripts/gpu-run.sh DEST_DIR}
TOTAL=${GPU_RUN_SECONDS:-500}
PERF_SECONDS=${GPU_RUN_PERF_SECONDS:-170}
PY=${PYTHON:-python3}
T0=$SECONDS
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)

if ls .device/whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/dltheory-site .device/whl/*.whl \
    > "$DEST/pip.log" 2>&1 || echo "installing the carried wheels failed (see pip.log): pages that need them will fail"
  export PYTHONPATH=/tmp/dltheory-site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD/lib:$PWD${PYTHONPATH:+:$PYTHONPATH}
export XLA_PYTHON_CLIENT_PREALLOCATE=false DLTHEORY_PROGRESS=0 DLTHEORY_CACHE=${DLTHEORY_CACHE:-/tmp/dltheory-cache}
(nvidia-smi 2>&1 || echo "no nvidia-smi on this machine") > "$DEST/nvidia-smi.txt"

if [ "${GPU_RUN_TINY:-0}" = 1 ]; then PERF_ARGS=(--tiny --seeds 2); MODE=fast; else PERF_ARGS=(--seeds "${GPU_RUN_SEEDS:-16}"); MODE=full; fi
MODE=${GPU_RUN_MODE:-$MODE}
case "$MODE" in fast|full) ;; *) echo "GPU_RUN_MODE must be fast or full, got '$MODE'"; exit 2 ;; esac
if [ "$MODE" = fast ] && [ "${GPU_RUN_TINY:-0}" != 1 ]; then
  echo "== performance: not measured in a fast-mode run (its time goes to the pages)"
else
  echo "== performance (at most $PERF_SECONDS s)"
  timeout -k 5 "$PERF_SECONDS" "$PY" -m benchmarks.gpu --out "$DEST/performance" "${PERF_ARGS[@]}" \
    > "$DEST/performance.log" 2>&1 || echo "the performance measurements did not finish (see performance.log)"
  tail -n 20 "$DEST/performance.log"
fi

LEFT=$(( TOTAL - (SECONDS - T0) - 15 ))   # 15 s to write the bundle
echo "== the book in $MODE mode, $LEFT s left"
# shellcheck disable=SC2086  # GPU_RUN_PAGES is a list of pages
"$PY" -m dltheory.book.fullrun --mode "$MODE" --out "$DEST/$MODE-gpu" --parallel "${GPU_RUN_PARALLEL:-16}" \
  --limit "$LEFT" --deadline "$LEFT" ${GPU_RUN_PAGES:-}
STATUS=$?
BUNDLE=$(ls -d "$DEST/$MODE-gpu"/*/ 2>/dev/null | tail -n 1)
if [ -n "$BUNDLE" ] && [ -f "$DEST/performance/performance.json" ]; then
  cp "$DEST/performance/performance.json" "$DEST/performance/performance.md" "$BUNDLE"
fi
echo "== done in $(( SECONDS - T0 )) s; bundle: ${BUNDLE:-none}"
exit $STATUS
