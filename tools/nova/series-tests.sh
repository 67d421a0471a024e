#!/usr/bin/env bash
# Test each commit of the generated Nova series on its own.
#
# Usage: tools/nova/series-tests.sh OUT WORKDIR [NN...]
#   OUT      make-series.py's --out (OUT/cumulative/NN.patch: the series
#            up to commit NN)
#   WORKDIR  a Nova work dir of its own (setup-nova.sh; its sdist is
#            unpacked afresh for each commit, its venv kept)
#   NN...    the commits to test (default: every one)
# For each commit: Nova 34.0.0 with the cumulative patch up to it, then
# the unit selection (tools/nova/unit-selection.regex) and CI's functional
# subset (tools/nova/ci-subset.regex), as .ci/run's nova_33 step runs them.
# From the machines' commit (05) on, the run is run-nova-tests.sh's
# integration mode: enforcement strict, every checked move recorded and
# reported. Then the tests the series adds, where they exist: the post-copy
# functional test from commit 04, and on commit 07 that one with the new
# unit tests (409s, upgrade check, N376). Prints "NN unit|functional|added:
# N passed, M failed" per run; exits 1 when a run fails.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:?usage: series-tests.sh OUT WORKDIR [NN...]}
WORKDIR=${2:?usage: series-tests.sh OUT WORKDIR [NN...]}
shift 2
[[ -d $OUT/cumulative ]] || { echo "series-tests: no $OUT/cumulative" >&2; exit 2; }
mkdir -p "$WORKDIR" || exit 2
commits=("$@")
if (( ${#commits[@]} == 0 )); then
    for patch in "$OUT"/cumulative/*.patch; do
        commits+=("$(basename "$patch" .patch)")
    done
fi
one_regex() { sed -e '/^#/d' -e 's/ *#.*//' "$1" | paste -sd'|'; }
UNIT=$(one_regex "$HERE/unit-selection.regex")
FUNCTIONAL=$(one_regex "$HERE/ci-subset.regex")
POST_COPY='test_live_migration_post_copy\.'
declare -A ADDED=(
    [04]=$POST_COPY
    [07]="$POST_COPY|refused_by_state_machine|TestUpgradeCheckMigrationStatuses|test_check_migration_status_literal")
failed=0
for nn in "${commits[@]}"; do
    patch=$OUT/cumulative/$nn.patch
    [[ -f $patch ]] || { echo "series-tests: no $patch" >&2; exit 2; }
    integration=0
    (( 10#$nn >= 5 )) && integration=1
    runs=(unit functional)
    [[ -n ${ADDED[$nn]:-} ]] && runs+=(added)
    for what in "${runs[@]}"; do
        case $what in
            unit) args=(--test-path ./nova/tests/unit --tests "$UNIT") ;;
            functional) args=(--tests "$FUNCTIONAL") ;;
            added) args=(--test-path ./nova/tests --tests "${ADDED[$nn]}") ;;
        esac
        log=$WORKDIR/series-$nn-$what.log
        NOVA_PATCH=$patch NOVA_SM_INTEGRATION=$integration \
            NOVA_SM_EXTRA_PIP=$([[ $integration == 1 ]] || echo "-e $REPO") \
            OS_MIGRATION_STATE_MACHINE__ENFORCEMENT=strict \
            bash "$HERE/run-nova-tests.sh" "$WORKDIR/" "${args[@]}" >"$log" 2>&1
        rc=$?
        echo "$nn $what: $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) (exit $rc, $log)"
        (( rc == 0 )) || failed=1
    done
done
exit $failed
