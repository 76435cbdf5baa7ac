#!/usr/bin/env bash
# Fuzz every target (or the ones named) for SECONDS each, one at a time, then print a summary.
#
#   fuzz/run.sh [SECONDS] [TARGET...]          default: 60 seconds, every target
#
# Environment:
#   SANITIZER=address|none   default address; `none` if the address sanitizer will not link
#   KEEP_GOING=1             go on after a crash (libFuzzer -fork=1 -ignore_crashes=1, still one
#                            fuzzing process at a time) instead of stopping at the first one
#   SESSIONSIG_VECTORS=DIR   shared test vectors to build the full corpus from
#                            (default ../../shared/vectors; skipped when absent)
#   FUZZ_ARGS="..."          extra libFuzzer flags
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and, for the corpus, python3. On a
# stable toolchain the script sets RUSTC_BOOTSTRAP=1 so that cargo-fuzz's `-Z` flags work.
# Before fuzzing, each target replays the inputs in regressions/<target>/ (known bugs) and the
# summary says how many of them still fail.
set -euo pipefail

cd "$(dirname "$0")"
secs=${1:-60}
shift || true
export RUSTC_BOOTSTRAP=1
sanitizer=${SANITIZER:-address}
triple=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="target/$triple/release"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# Corpus: the committed seeds, plus everything in the shared vectors when they are here.
vectors=${SESSIONSIG_VECTORS:-../../shared/vectors}
if [ -d "$vectors" ] && command -v python3 >/dev/null; then
    python3 scripts/gen_corpus.py --vectors "$vectors" --out corpus
fi
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ -d "seeds/$t" ]; then
        for f in seeds/"$t"/*; do
            [ -e "corpus/$t/$(basename "$f")" ] || cp "$f" "corpus/$t/"
        done
    fi
done
mkdir -p logs

# Build once (release with debug assertions and overflow checks: cargo-fuzz's default).
cargo fuzz build --sanitizer "$sanitizer"

list_artifacts() {
    find "artifacts/$1" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) 2>/dev/null | sort
}

# The panic location and message of one input, or nothing when it runs clean.
panic_of() {
    { "$bin_dir/$1" "$2" 2>&1 || true; } | { grep -A1 -m1 'panicked at' || true; } |
        tr '\n' ' ' | sed -e "s/^thread '[^']*' ([0-9]*) //" -e 's/ *$//'
}

if [ -n "${KEEP_GOING:-}" ]; then
    mode=(-fork=1 -ignore_crashes=1)
else
    mode=(-jobs=1 -workers=1)
fi

summary=()
status=0
for t in "${targets[@]}"; do
    regress="-"
    if [ -d "regressions/$t" ]; then
        total=0 failing=0
        for f in regressions/"$t"/*; do
            total=$((total + 1))
            p=$(panic_of "$t" "$f")
            if [ -n "$p" ]; then
                failing=$((failing + 1))
                echo "regression still fails: $f: $p"
            fi
        done
        regress="$failing/$total"
    fi

    echo "=== $t: ${secs}s"
    list_artifacts "$t" >"logs/$t.artifacts.before"
    log="logs/$t.log"
    dict=()
    [ -f "dictionaries/$t.dict" ] && dict=("-dict=dictionaries/$t.dict")
    rm -f fuzz-0.log
    set +e
    # shellcheck disable=SC2086
    cargo fuzz run --sanitizer "$sanitizer" "$t" "corpus/$t" -- \
        -max_total_time="$secs" "${mode[@]}" -timeout=10 -print_final_stats=1 \
        "${dict[@]}" ${FUZZ_ARGS:-} >"logs/$t.driver.log" 2>&1
    rc=$?
    set -e
    # With -jobs, libFuzzer writes the fuzzing process's output to fuzz-<job>.log.
    if [ -f fuzz-0.log ]; then mv fuzz-0.log "$log"; else cp "logs/$t.driver.log" "$log"; fi

    new=$(comm -13 "logs/$t.artifacts.before" <(list_artifacts "$t"))
    crashes=$(printf '%s' "$new" | grep -c . || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then
        # Fork mode prints progress lines `#<executions>: cov: … exec/s: <n> …` only.
        last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
        execs=$(printf '%s' "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
        [ -n "$execs" ] && rate=$((execs / secs))
    fi
    files=$(find "corpus/$t" -type f | wc -l)
    size=$(du -sk "corpus/$t" | cut -f1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    kinds=""
    if [ "$crashes" -gt 0 ]; then
        kinds=$(while read -r f; do panic_of "$t" "$f"; echo; done <<<"$new" | grep . |
            sed 's/^panicked at \([^ ]*\): \(.*\)/\1 (\2)/' | sort | uniq -c |
            awk '{n=$1; $1=""; printf "%s×%s; ", n, $0}')
    fi
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        status=1
        echo "!!! $t: exit $rc, $crashes new artifact(s) in artifacts/$t (log: $log)"
        printf '%s\n' "$new" | head -5
    fi
    summary+=("| \`$t\` | ${secs} s | ${execs:-?} | ${rate:-?} | ${files} files, ${size} KiB | ${cov:-?} | ${crashes}${kinds:+: ${kinds%; }} | ${regress} |")
done

echo
echo "| target | duration | executions | exec/s | corpus after | edge cov | new crashes | regressions failing |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
exit "$status"
