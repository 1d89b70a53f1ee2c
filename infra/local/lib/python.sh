# shellcheck shell=bash
# Debian's scikit-learn, SciPy and onnx for /usr/bin/python3: reference implementations the training and inference
# tests compare against (always through /usr/bin/python3, never a python on PATH). Packages only, no process.
# Sourced by infra.sh (after common.sh).

PYTHON_DEBS=(python3-sklearn python3-scipy python3-onnx)

python_debs() {
  local pkg
  for pkg in "${PYTHON_DEBS[@]}"; do
    deb_installed "$pkg" || echo "$pkg"
  done
}

python_install() { :; }

# Nothing runs, so `up` only checks what `install` put in place.
python_up() {
  python_present || die "python: missing Debian packages: $(python_debs | tr '\n' ' ')(run: $0 install)"
  log "python: ${PYTHON_DEBS[*]} present"
}

python_down() { :; }

python_present() { [[ -z "$(python_debs)" ]]; }

python_status() {
  if python_present; then
    printf '%-10s ok    /usr/bin/python3  (%s)\n' python "${PYTHON_DEBS[*]}"
  else
    printf '%-10s miss  /usr/bin/python3  (missing: %s)\n' python "$(python_debs | tr '\n' ' ')"; return 1
  fi
}

python_env() { :; }
