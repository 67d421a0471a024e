#!/usr/bin/env bash
# Run Nova's own tests (34.0.0, or NOVA_VERSION): CI's fast selection, or
# the whole suite.
#
# Usage: tools/nova/run-nova-tests.sh [WORKDIR/] [OPTIONS] [SHARD...]
#   (no option)    the fast selection: shards `unit` (54 ids) and
#                  `functional` (333 ids), tools/nova/*-selection.txt
#   --full         every functional test and the unit packages compute,
#                  conductor, objects, db, scheduler, api.openstack.compute,
#                  in shards of <= 400 / 2500 tests (< 60 min each on 2
#                  cores); resumable: a shard with RESULTS/shards/SHARD.json
#                  is done and skipped, a killed run resumes at the next
#                  unfinished shard
#   --tests REGEX  the ids matching REGEX (--test-path, default functional)
#   --rerun SHARD  run a done shard again ('all': every shard)
#   SHARD...       run only these shards of the plan
#   WORKDIR        an argument with a '/' (default $NOVA_WORKDIR, else
#                  .tox/nova-work, or .tox/nova-full-{plain,sm} with --full);
#                  setup-nova.sh prepares it (a no-op when nothing changed)
# Environment:
#   NOVA_VERSION           the Nova release (default 34.0.0); another release
#                          gets its WORKDIR default .tox/nova-VERSION, its
#                          patch from nova-patch.sh and, for the fast plan,
#                          selections generated from its sdist by
#                          select-tests.py into WORKDIR/selections
#   NOVA_SM_INTEGRATION=1  the sdist patched with tools/nova/nova-34.0.0.patch,
#                          this repo installed in Nova's venv, enforcement
#                          strict, every checked move recorded to
#                          RESULTS/moves/*.jsonl; use a WORKDIR of its own
#   NOVA_RESULTS_DIR       default WORKDIR/results/<timestamp>, or
#                          WORKDIR/results/full with --full
#   NOVA_BASELINE_RESULTS  results dir of a plain-Nova run: report.py then
#                          counts as regressions only tests that pass there
#   NOVA_TEST_CONCURRENCY  stestr workers (default 2)
#   NOVA_STALL_SECONDS     the watchdog dumps every worker's green and OS
#                          threads into RESULTS/dumps/ when the subunit stream
#                          has not grown for half this long, and again before
#                          it kills the run at this long (default 300, above
#                          OS_TEST_TIMEOUT=160)
#   NOVA_MAX_SECONDS       hard limit per stestr run (default 3600)
#   NOVA_RETRIES           re-runs of what a killed run left (default 2)
#   NOVA_SKIP_SETUP=1      no setup-nova.sh; NOVA_VENV and NOVA_SDIST
#                          (default WORKDIR/venv, WORKDIR/nova-*) are used
#   NOVA_SM_EXTRA_PIP      passed on to setup-nova.sh
# Prints "SHARD: N passed, M failed, K skipped" per shard, report.py's report
# and last "N passed, M failed" over all shards (re-runs included). Exits 0
# only when report.py finds no regression and no refused move.
set -euo pipefail
export NOVA_VERSION=${NOVA_VERSION:-34.0.0}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORKDIR=${NOVA_WORKDIR:-}
ARGS=() FULL=0 VALUE=0 TESTS=0
for arg in "$@"; do
    if (( VALUE )); then ARGS+=("$arg") VALUE=0; continue; fi
    case $arg in
        -h|--help) awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next}
                        NR>1 {exit}' "$0"; exit 0 ;;
        --test-path|--rerun) ARGS+=("$arg") VALUE=1 ;;
        --full) ARGS+=("$arg") FULL=1 ;;
        --tests) ARGS+=("$arg") VALUE=1 TESTS=1 ;;
        --selections) ARGS+=("$arg") VALUE=1 TESTS=1 ;;
        */*) WORKDIR=$arg ;;
        *) ARGS+=("$arg") ;;
    esac
done
MODE=plain
if [[ ${NOVA_SM_INTEGRATION:-0} == 1 ]]; then
    MODE=sm
    NOVA_PATCH=${NOVA_PATCH:-$("$HERE/nova-patch.sh" "$NOVA_VERSION")}
    export NOVA_PATCH
    export NOVA_SM_EXTRA_PIP="-e $REPO ${NOVA_SM_EXTRA_PIP:-}"
fi
if [[ -z $WORKDIR ]]; then
    WORKDIR=$REPO/.tox/nova-work
    [[ $NOVA_VERSION != 34.0.0 ]] && WORKDIR=$REPO/.tox/nova-$NOVA_VERSION
    (( FULL )) && WORKDIR=$REPO/.tox/nova-full-$MODE
fi
if [[ ${NOVA_SKIP_SETUP:-0} != 1 ]]; then
    setup_out=$("$HERE/setup-nova.sh" "$WORKDIR") || {
        echo "setup-nova.sh failed" >&2; exit 2; }
    eval "$(grep -E '^NOVA_(VENV|SDIST)=' <<<"$setup_out" | sed 's/=\(.*\)/="\1"/')"
else
    sdists=("$WORKDIR"/nova-*/)
    NOVA_VENV=${NOVA_VENV:-$WORKDIR/venv} NOVA_SDIST=${NOVA_SDIST:-${sdists[0]%/}}
fi
[[ -x $NOVA_VENV/bin/stestr && -f $NOVA_SDIST/.stestr.conf ]] || {
    echo "no Nova venv/sdist in $WORKDIR" >&2; exit 2; }
if [[ $NOVA_VERSION != 34.0.0 ]] && (( ! FULL && ! TESTS )); then
    # 34.0.0's committed selections name its test ids; another release's
    # come from its own sdist, by the same rules.
    for sel in unit functional; do
        [[ -s $WORKDIR/selections/$sel-selection.txt ]] && continue
        mkdir -p "$WORKDIR/selections"
        NOVA_VENV=$NOVA_VENV "$NOVA_VENV/bin/python" "$HERE/select-tests.py" \
            --sdist "$NOVA_SDIST" --venv "$NOVA_VENV" --selection "$sel" \
            -o "$WORKDIR/selections/$sel-selection.txt.tmp" &&
            mv "$WORKDIR/selections/$sel-selection.txt.tmp" \
               "$WORKDIR/selections/$sel-selection.txt"
    done
    ARGS=(--selections "$WORKDIR/selections" "${ARGS[@]}")
fi
exec "$NOVA_VENV/bin/python" "$HERE/runner.py" --workdir "$WORKDIR" \
    --venv "$NOVA_VENV" --sdist "$NOVA_SDIST" "${ARGS[@]}"
