#!/bin/bash
# Fetch, on a machine with a package registry, the wheels the GPU machine lacks into .device/whl/ (ignored by git;
# carry it to the GPU machine, e.g. the run tool's carry [".device"]). scripts/gpu-run.sh installs them there with
# --no-index. The GPU image of 2026-12-04 had Python 3.12 with JAX (CUDA), optax, sympy, scipy, scikit-learn,
# matplotlib and tqdm; the full-mode runner needs no Jupyter or IPython, so only gensim 4.4 or later (the page on real text, §4.7; 4.3 is built against NumPy 1)
# is missing, with its pure-Python dependencies. About 30 MB.
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
mkdir -p .device/whl
download() {
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "${GPU_PYTHON_VERSION:-3.12}" \
    --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .device/whl "$@"
}
download "smart_open>=7" wrapt
# seen 2026-12-04: this project's registry mirror had gensim 4.3.3 only, which imports only where NumPy is 1.x
download "gensim>=4.4" || { echo "no gensim 4.4 here: fetching an older one, which fails on NumPy 2 (the page on" \
  "real text then stops with an ImportError on the GPU; the other pages are unaffected)" >&2; download gensim; }
ls -la .device/whl
