#!/usr/bin/env bash
# Builds every fuzz target, then runs each for FUZZ_SECONDS seconds (default 20), starting from
# the inputs of fixed bugs in regressions/<target>/, the seeds in seeds/<target>/ and the corpus
# a previous run left in corpus/<target>/.
# A target fails when it finds a crash, a panic, a leak or an input slower than 10 seconds;
# what it found is in artifacts/<target>/. The last line says how many targets passed.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-20}

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Release builds at opt-level 1 (Cargo.toml) run several times faster than debug ones. No
# AddressSanitizer: the code under test is safe Rust, and ASan would double the build and halve
# the runs. 16 codegen units: the crates' dependency trees (sequoia above all) dominate a cold
# build on few cores.
build=(-O -s none --codegen-units 16)
cargo +nightly fuzz build "${build[@]}"

targets=$(cargo +nightly fuzz list)
passed=0
failed=0
failures=()
for target in $targets; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    dirs=("$corpus")
    for extra in "regressions/$target" "seeds/$target"; do
        if [ -d "$extra" ]; then
            dirs+=("$extra")
        fi
    done
    echo "== $target: ${seconds}s"
    if cargo +nightly fuzz run "${build[@]}" "$target" "${dirs[@]}" -- \
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
