#!/usr/bin/env bash
# Creates (or reuses) a Python venv with the peer recorder omgrab and its
# dependencies (PyAV, numpy, ...), for omgrab_record.py.  Idempotent.
#
#   OMGRAB_VENV      venv location (default ~/.cache/proj-omgrab-venv)
#   OMGRAB_VERSION   omgrab version from PyPI (default 0.1.2)
#   OMGRAB_WHEEL     optional local wheel to install instead of PyPI
#   OMGRAB_PYTHON    interpreter to build the venv from (default: first of
#                    /usr/bin/python3, python3 that is >= 3.11 and has venv)
#
# The last line printed is the venv's python path:
#   PY=$(benchmarks/omgrab/setup.sh | tail -1)
set -euo pipefail

VENV="${OMGRAB_VENV:-$HOME/.cache/proj-omgrab-venv}"
VERSION="${OMGRAB_VERSION:-0.1.2}"
SPEC="${OMGRAB_WHEEL:-omgrab==$VERSION}"

log() { echo "[omgrab-setup] $*" >&2; }

pick_python() {
  local c
  for c in ${OMGRAB_PYTHON:-} /usr/bin/python3 "$(command -v python3 || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if "$c" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

ok() {
  # omgrab.recording imports cv2 (via omgrab.cameras); the harness stubs it if
  # absent, so only av/numpy/omgrab are required here.
  "$VENV/bin/python" - <<'EOF' 2>/dev/null
import sys, importlib.metadata as md, av, numpy
md.version("omgrab")
assert "libx264" in av.codecs_available, "PyAV build lacks libx264"
EOF
}

if [ -x "$VENV/bin/python" ] && ok; then
  log "venv already usable: $VENV"
else
  PY=$(pick_python) || { log "no python3 >= 3.11 with venv found"; exit 1; }
  log "creating venv $VENV with $PY ($("$PY" -V 2>&1))"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip >&2 || true
  # 1st try: a plain install (omgrab pins av>=13,<17 and also pulls depthai,
  # opencv-python-headless, gpiod, luma.oled, ...).
  if "$VENV/bin/pip" install "$SPEC" >&2 && ok; then
    log "plain install ok"
  else
    # Fallback: PyAV inside omgrab's pin if pip can get one, else any PyAV,
    # then omgrab without its hardware dependencies.
    log "plain install failed; installing av + numpy separately and omgrab --no-deps"
    "$VENV/bin/pip" install "av>=13,<17" "numpy>=2.2" >&2 \
      || "$VENV/bin/pip" install av "numpy>=2.2" >&2
    "$VENV/bin/pip" install --no-deps "$SPEC" >&2
    ok || { log "venv still unusable"; exit 1; }
  fi
fi

"$VENV/bin/python" -c 'import importlib.metadata as m, av, numpy; print("[omgrab-setup] omgrab", m.version("omgrab"), "| PyAV", av.__version__, "(FFmpeg", av.ffmpeg_version_info + ") | numpy", numpy.__version__)' >&2
command -v ffmpeg >/dev/null || log "WARNING: omgrab needs an ffmpeg binary on PATH to merge chunks"
command -v ffprobe >/dev/null || log "WARNING: ffprobe not on PATH; packet counts will be skipped"
echo "$VENV/bin/python"
