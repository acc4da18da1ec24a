#!/usr/bin/env bash
# RUSTC_WRAPPER for the fuzz build (README, "Fuzzing"): compiles wasmtime and
# its compilers (cranelift, winch, pulley, regalloc2) without cargo-fuzz's
# coverage instrumentation and debug assertions, every other crate as
# cargo-fuzz asks. The targets check jankwasm's compiler and loader, not
# wasmtime; instrumented, the engine compiled each patch several times slower
# and its edges would steer libFuzzer towards wasmtime's code paths.
set -euo pipefail
rustc=$1
shift
engine=
prev=
for arg in "$@"; do
  if [[ $prev == --crate-name ]]; then
    case $arg in
      wasmtime | wasmtime_* | cranelift_* | winch_* | pulley_* | regalloc2) engine=1 ;;
    esac
  fi
  prev=$arg
done
if [[ -z $engine ]]; then
  exec "$rustc" "$@"
fi
kept=()
for arg in "$@"; do
  case $arg in
    -Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-* | -Cdebug-assertions) ;;
    -Cllvm-args=-simplifycfg-branch-fold-threshold=0) ;;
    *) kept+=("$arg") ;;
  esac
done
exec "$rustc" "${kept[@]}"
