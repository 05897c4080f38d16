#!/usr/bin/env bash
# Installs wasm-bindgen-cli at exactly the wasm-bindgen version Cargo.lock pins (from crates.io).
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ -n "$want" ] && [ "$want" != "$have" ]; then
  echo "wasm-bindgen: installing wasm-bindgen-cli $want (have: ${have:-none})"
  # No --locked: its lockfile wants a crate version the registry lacks (see NOTES).
  cargo install wasm-bindgen-cli --version "=$want"
fi
