#!/usr/bin/env bash
# The GPU check: the tests marked `gpu` and the speed benchmark on CUDA. Without CUDA it says so and
# exits 0. Results of the benchmark go to $OUT (default benchmarks/results/gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  echo "gpu_check: no CUDA device here; skipped"
  exit 0
fi
python -c "import torch; print('gpu_check:', torch.cuda.get_device_name(0), 'torch', torch.__version__)"
python -m pytest -m gpu -q -p no:cacheprovider
python -m benchmarks.speed --set device=cuda --out "${OUT:-benchmarks/results/gpu}" --quiet
