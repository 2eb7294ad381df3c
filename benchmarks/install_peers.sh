#!/usr/bin/env bash
# Install the peer library for `python -m benchmarks.peers` without disturbing this environment.
#
# torch-mist 0.2.17 declares numpy<2 and two packages it never imports for estimation (hydra-core,
# mpld3), and imports pandas without declaring it. Installing it normally would downgrade numpy and
# could replace the pinned torch. So: the `peers` extra brings what it really needs (pyro-ppl,
# pandas, tqdm) under the project's constraints, then torch-mist itself goes in with --no-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
pip install -c constraints.txt -e ".[peers]"
pip install --no-deps "torch-mist==0.2.17"
python - <<'PY'
import numpy, torch, torch_mist  # noqa: F401  (the import is the check)
from importlib.metadata import version
print(f"torch-mist {version('torch-mist')} with torch {torch.__version__}, numpy {numpy.__version__}")
PY
