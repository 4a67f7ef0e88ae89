#!/bin/sh
# Runs every fuzz target (or the ones named) for SECONDS each, from the committed seeds plus the
# captured router responses, and writes a summary to target/fuzz/report.md. A crash stops the
# run: libFuzzer saves the input under fuzz/artifacts/<target>/; turn it into a regression test.
#   fuzz/run.sh [SECONDS] [TARGET...]        (default 60 s each; CI runs a few seconds each)
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); runs on the stable toolchain.
#
# Memory is part of what is checked: a single allocation over MALLOC_LIMIT_MB (default 256) or
# a process over RSS_LIMIT_MB (default 2048) is a finding, saved like a crash, since no input of
# a few kilobytes has any business sizing one. Targets with a dictionary (dicts/<target>.dict:
# the keys they read, huge and negative numbers, deep nesting, escape sequences) get it.
set -eu
cd "$(dirname "$0")"
seconds=${1:-60}
malloc_limit_mb=${MALLOC_LIMIT_MB:-256}
rss_limit_mb=${RSS_LIMIT_MB:-2048}
[ $# -gt 0 ] && shift
export RUSTC_BOOTSTRAP=1 # cargo-fuzz's sanitizer flags are unstable options
fixtures=../tests/fixtures/hf-router
targets=${*:-$(cargo fuzz list)}
report=../target/fuzz/report.md
mkdir -p ../target/fuzz
printf '| target | seconds | executions | exec/s | corpus | crashes |\n|---|---|---|---|---|---|\n' > "$report"

seeds() { # the seed directory of a target, filled from the fixtures where they fit
  dir=../target/fuzz/seeds/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  [ -d "seeds/$1" ] && cp seeds/"$1"/* "$dir"/
  case $1 in
    sse_framer | chat_stream) cp "$fixtures"/chat.stream.*.sse "$dir"/ ;;
    chat_response) cp "$fixtures"/chat.nonstream.*.json "$dir"/ ;;
    error_body) for f in "$fixtures"/error.*; do printf '\001\220' | cat - "$f" > "$dir/$(basename "$f")"; done ;;
    model_list) cp "$fixtures"/v1-models.*.json "$dir"/ ;;
    inference_mapping) cp "$fixtures"/hub.model.*.json "$dir"/ ;;
    # The plugin's own manifest is generated from its library, so its seed is committed.
    manifest | config) cp ../tests/providers/echo/openclaw.plugin.json "$dir"/echo.json ;;
  esac
  echo "$dir"
}

# Build every target first, so a build failure is reported as one and not as a crash.
echo "==> building the fuzz targets"
cargo fuzz build >../target/fuzz/build.log 2>&1 || {
  tail -40 ../target/fuzz/build.log
  echo "the fuzz targets do not build" >&2
  exit 1
}

for target in $targets; do
  mkdir -p "corpus/$target" "artifacts/$target"
  log=../target/fuzz/$target.log
  echo "==> $target (${seconds}s)"
  before=$(find "artifacts/$target" -type f | wc -l)
  dict=
  [ -f "dicts/$target.dict" ] && dict="-dict=dicts/$target.dict"
  seed_dir=$(seeds "$target") # an assignment, so a missing seed file stops the run here
  # shellcheck disable=SC2086 # $dict is one option or none
  if ! cargo fuzz run "$target" "corpus/$target" "$seed_dir" -- \
      -max_total_time="$seconds" -print_final_stats=1 \
      -malloc_limit_mb="$malloc_limit_mb" -rss_limit_mb="$rss_limit_mb" $dict >"$log" 2>&1; then
    tail -40 "$log"
    if [ "$(find "artifacts/$target" -type f | wc -l)" -gt "$before" ]; then
      echo "fuzz target $target found a crash or an oversized allocation; the input is in fuzz/artifacts/$target/" >&2
      printf '| %s | %s | — | — | — | **1** |\n' "$target" "$seconds" >> "$report"
    else
      echo "fuzz target $target failed to run; see target/fuzz/$target.log" >&2
    fi
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  corpus=$(find "corpus/$target" -type f | wc -l)
  printf '| %s | %s | %s | %s | %s | 0 |\n' "$target" "$seconds" "$runs" "$rate" "$corpus" >> "$report"
done
cat "$report"
