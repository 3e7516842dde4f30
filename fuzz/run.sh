#!/usr/bin/env bash
# Builds every fuzz target, then runs each for FUZZ_SECONDS seconds (default 20), starting from
# the seeds in seeds/<target>/ and the corpus a previous run left in corpus/<target>/.
# A target fails when it finds a crash, a panic, a leak or an input slower than 10 seconds;
# what it found is in artifacts/<target>/. The last line says how many targets passed.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-20}

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Release builds (the default of `cargo fuzz`): a cold build takes about as long as a debug
# one, and the targets run several times faster.
cargo +nightly fuzz build -O

targets=$(cargo +nightly fuzz list)
passed=0
failed=0
failures=()
for target in $targets; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    dirs=("$corpus")
    if [ -d "seeds/$target" ]; then
        dirs+=("seeds/$target")
    fi
    echo "== $target: ${seconds}s"
    if cargo +nightly fuzz run -O "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$target")
    fi
done

if [ "$failed" -gt 0 ]; then
    echo "failed: ${failures[*]} (inputs in artifacts/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
