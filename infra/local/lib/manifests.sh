# shellcheck shell=bash
# The offline validator of the Kubernetes manifests (infra/k8s, run by `platform.sh test`): the npm packages
# pinned in infra/k8s/validate/package.json (kubernetes-models: the Kubernetes API's JSON schemas compiled to
# validators; yaml: the parser), installed once into the cache, plus the generated model classes of the Kubernetes
# JavaScript client (field names and types of every API type, for the unknown-field check), taken from its package
# without its dependencies. Packages only, no process.
# Sourced by infra.sh (after common.sh).

MANIFESTS_PACKAGE_JSON="$REPO_ROOT/infra/k8s/validate/package.json"
MANIFESTS_TOOL_DIR="$CACHE_DIR/tools/k8s-validate"
MANIFESTS_MODELS_SPEC="@kubernetes/client-node@2.0.1"

manifests_debs() {
  command -v node >/dev/null || echo nodejs
  command -v npm >/dev/null || echo npm
}

# Installed again whenever package.json changes (the copy beside node_modules is the marker).
manifests_present() {
  [[ -d $MANIFESTS_TOOL_DIR/node_modules/kubernetes-models && -f $MANIFESTS_TOOL_DIR/models/.spec ]] &&
    [[ "$(<"$MANIFESTS_TOOL_DIR/models/.spec")" == "$MANIFESTS_MODELS_SPEC" ]] &&
    cmp -s "$MANIFESTS_PACKAGE_JSON" "$MANIFESTS_TOOL_DIR/package.json"
}

# --ignore-scripts: no package may run code at install time (nor fetch binaries from elsewhere);
# --no-package-lock: exact versions are pinned in package.json, and a lock file would only record download hosts.
manifests_install() {
  manifests_present && return 0
  local npm_log="$CACHE_DIR/npm-k8s-validate.log" started
  started=$(now)
  rm -rf "$MANIFESTS_TOOL_DIR"
  mkdir -p "$MANIFESTS_TOOL_DIR"
  cp "$MANIFESTS_PACKAGE_JSON" "$MANIFESTS_TOOL_DIR/package.json"
  log "npm: installing the manifest validator (infra/k8s/validate/package.json)"
  (cd "$MANIFESTS_TOOL_DIR" && npm install --ignore-scripts --no-package-lock --no-audit --no-fund \
      --omit=dev --loglevel=error >"$npm_log" 2>&1) || { rm -f "$MANIFESTS_TOOL_DIR/package.json"; die "npm install of the manifest validator failed" "$npm_log"; }
  local tgz
  tgz=$(npm_pack "$MANIFESTS_MODELS_SPEC")
  mkdir -p "$MANIFESTS_TOOL_DIR/models"
  tar -xzf "$tgz" -C "$MANIFESTS_TOOL_DIR/models" --strip-components=4 --wildcards 'package/dist/gen/models/*.js' \
    || die "could not extract the model classes from $tgz"
  printf '%s' "$MANIFESTS_MODELS_SPEC" >"$MANIFESTS_TOOL_DIR/models/.spec"
  log "manifests: validator installed in $(since "$started")"
}

manifests_up() {
  manifests_present || die "manifests: the validator is missing or outdated (run: $0 install)"
  log "manifests: validator present ($MANIFESTS_TOOL_DIR)"
}

manifests_down() { :; }

manifests_status() {
  if manifests_present; then
    printf '%-10s ok    %s\n' manifests "$MANIFESTS_TOOL_DIR"
  else
    printf '%-10s miss  %s\n' manifests "$MANIFESTS_TOOL_DIR"; return 1
  fi
}

# platform.sh test finds the validator's packages here.
manifests_env() { printf 'MLOPS_K8S_VALIDATE_DIR=%s\n' "$MANIFESTS_TOOL_DIR"; }
