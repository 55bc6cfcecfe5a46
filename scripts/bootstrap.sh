# Sourced by scripts/run and scripts/test: create or refresh .venv inside the checkout.
# torch==2.13.0 (the CPU build) goes in first so sentence-transformers never pulls CUDA wheels.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.newsbot-installed"
WANT="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -c1-64)"
pip_install() {
    # This machine's pip.conf names local mirrors that pip warns about once per package.
    "$VENV/bin/python" -m pip install --quiet "$@" 2> >(grep -v "is ignored: it is neither a file" >&2)
}
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    echo "newsbot: setting up $VENV (first run takes a minute or two)" >&2
    python3 -m venv "$VENV"
    pip_install --upgrade pip
    pip_install "torch==2.13.0"
    # setuptools warns that an editable install of a flat layout could be shadowed by folders of the
    # same name; the checkout is the package here, so that warning is noise for a first run.
    PYTHONWARNINGS="ignore:Editable installation" pip_install -c "$ROOT/constraints.txt" -e "$ROOT[test,onnx,openvino]"
    echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export HF_HUB_OFFLINE=1
