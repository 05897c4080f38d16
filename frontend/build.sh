#!/usr/bin/env bash
# Builds the dashboard into a directory ready to serve at `/`:
#   frontend/build.sh [OUT_DIR]        (default: <repo>/dist)
# Needs the wasm32-unknown-unknown target, wasm-bindgen-cli of the same version as the
# wasm-bindgen crate in Cargo.lock (0.2.130), and node/npm: `npm ci` installs the locked
# package-lock.json from the npm registry (uPlot for the charts, binaryen for wasm-opt).
# Do not use Debian's wasm-opt: it breaks the output (see shared/NOTES.md).
# Idempotent: running it again rebuilds the same files; nothing is downloaded outside the
# package registries.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${1:-$repo/dist}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac

want="$(grep -A1 '^name = "wasm-bindgen"$' "$repo/Cargo.lock" 2>/dev/null | sed -n 's/^version = "\(.*\)"$/\1/p' || true)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [[ -z "$have" ]]; then
    echo "build.sh: wasm-bindgen not found; run: cargo install wasm-bindgen-cli --version =${want:-0.2.130}" >&2
    exit 1
fi
if [[ -n "$want" && "$want" != "$have" ]]; then
    echo "build.sh: wasm-bindgen CLI is $have but Cargo.lock has $want; run: cargo install wasm-bindgen-cli --version =$want" >&2
    exit 1
fi
if ! command -v npm >/dev/null; then
    echo "build.sh: npm not found; run: apt-get install -y nodejs npm" >&2
    exit 1
fi

# JavaScript packages, exactly as locked; skipped when node_modules already matches the lock.
stamp="$here/node_modules/.fleetwatch-lock"
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/package-lock.json" "$stamp"
fi
wasm_opt="$here/node_modules/binaryen/bin/wasm-opt"

cd "$repo"
# `erase_components` makes each Leptos component return a type-erased view: the same page, 35 KB
# less gzipped WASM (docs/benchmarks.md, "Dashboard"). For the wasm32 target only; a RUSTFLAGS of
# the caller's takes precedence over it.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:---cfg erase_components}" \
    cargo build -p fleetwatch-frontend --target wasm32-unknown-unknown --profile wasm-release

mkdir -p "$out"
# Snippets (js/chart.js) land under a hashed directory: clear old ones so they do not pile up.
rm -rf "$out/snippets"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
    "$target_dir/wasm32-unknown-unknown/wasm-release/fleetwatch_frontend.wasm"
if [[ "${FLEETWATCH_NO_WASM_OPT:-}" != 1 ]]; then
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        "$out/fleetwatch_frontend_bg.wasm" -o "$out/fleetwatch_frontend_bg.wasm.opt"
    mv "$out/fleetwatch_frontend_bg.wasm.opt" "$out/fleetwatch_frontend_bg.wasm"
fi

mkdir -p "$out/vendor"
cp "$here/node_modules/uplot/dist/uPlot.iife.min.js" "$out/vendor/"
cp "$here/node_modules/uplot/LICENSE" "$out/vendor/uPlot.LICENSE"
cp "$here/index.html" "$out/"
# One stylesheet: ours, then uPlot's.
cat "$here/style.css" "$here/node_modules/uplot/dist/uPlot.min.css" > "$out/style.css"
# Compressed once here rather than on every request: the API serves these `.gz` copies to
# browsers that accept gzip (api/src/router.rs). Stale copies of removed files go with them.
find "$out" -name '*.gz' -delete
find "$out" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) \
    -exec gzip -9 -k -n -f {} +
echo "build.sh: dashboard built in $out"
