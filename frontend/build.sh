#!/usr/bin/env bash
# Builds the dashboard into a directory ready to serve at `/`:
#   frontend/build.sh [OUT_DIR]        (default: <repo>/dist)
# Needs the wasm32-unknown-unknown target and wasm-bindgen-cli of the same version as the
# wasm-bindgen crate in Cargo.lock (0.2.130). Do not run Debian's wasm-opt on the output: it
# breaks it (see shared/NOTES.md).
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

cd "$repo"
cargo build -p fleetwatch-frontend --target wasm32-unknown-unknown --profile wasm-release

mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
    "$target_dir/wasm32-unknown-unknown/wasm-release/fleetwatch_frontend.wasm"
cp "$here/index.html" "$here/style.css" "$out/"
echo "build.sh: dashboard built in $out"
