#!/usr/bin/env bash
# Set up OpenStack Nova's own test suite (sdist + venv) in a work dir.
#
# Usage: tools/nova/setup-nova.sh [WORKDIR]
#   WORKDIR defaults to ${NOVA_WORKDIR:-.tox/nova-work}.
# Environment:
#   NOVA_VERSION      Nova release to fetch (default 34.0.0)
#   NOVA_PYTHON       interpreter for the venv (default python3.11)
#   NOVA_SM_EXTRA_PIP extra pip install args, word-split, e.g. "-e /path/to/repo"
#   NOVA_PATCH        a patch (-p1) to apply to the unpacked sdist, e.g.
#                     tools/nova/nova-34.0.0.patch (the nova_migration_sm
#                     integration; tools/nova/nova-patch.sh VERSION names the
#                     one for a release); the sdist is unpacked afresh
#                     whenever the patch (or its absence) changes; a hunk
#                     applied with fuzz is logged, a rejected one fails
#   NOVA_SDIST_ONLY=1 stop after unpacking (and patching) the sdist
#
# Idempotent: the sdist is downloaded and unpacked once, the venv created once,
# and `pip install` re-runs only when its argument list changes (stamp file).
# Prints NOVA_VENV=... and NOVA_SDIST=... at the end.
set -euo pipefail

NOVA_VERSION=${NOVA_VERSION:-34.0.0}
PY=${NOVA_PYTHON:-python3.11}
WORKDIR=${1:-${NOVA_WORKDIR:-.tox/nova-work}}

mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
DL="$WORKDIR/download"
SDIST="$WORKDIR/nova-$NOVA_VERSION"
VENV="$WORKDIR/venv"
TARBALL="$DL/nova-$NOVA_VERSION.tar.gz"

log() { printf '[setup-nova] %s\n' "$*" >&2; }
# pip, minus the warnings about local index folders that do not exist
quiet_pip() {
    "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

# 1. the sdist
if [[ ! -f $TARBALL ]]; then
    log "downloading nova==$NOVA_VERSION sdist"
    mkdir -p "$DL"
    quiet_pip "$PY" -m pip download --quiet --no-deps --no-binary=:all: \
        --dest "$DL" "nova==$NOVA_VERSION"
fi
PATCH_STAMP="$SDIST/.nova-patch-stamp"
PATCH_WANT=none
if [[ -n ${NOVA_PATCH:-} ]]; then
    PATCH_WANT=$(sha256sum "$NOVA_PATCH" | cut -d' ' -f1)
fi
if [[ -f $SDIST/.stestr.conf && "$(cat "$PATCH_STAMP" 2>/dev/null || echo none)" != "$PATCH_WANT" ]]; then
    log "patch changed: unpacking the sdist afresh"
    rm -rf "$SDIST"
fi
if [[ ! -f $SDIST/.stestr.conf ]]; then
    log "unpacking $TARBALL"
    rm -rf "$SDIST.tmp" && mkdir -p "$SDIST.tmp"
    tar -xzf "$TARBALL" -C "$SDIST.tmp"
    rm -rf "$SDIST" && mv "$SDIST.tmp/nova-$NOVA_VERSION" "$SDIST" && rmdir "$SDIST.tmp"
    if [[ -n ${NOVA_PATCH:-} ]]; then
        log "applying $NOVA_PATCH"
        patch_out=$(patch -d "$SDIST" -p1 --forward --no-backup-if-mismatch \
            <"$NOVA_PATCH") || { printf '%s\n' "$patch_out" >&2; exit 1; }
        log "$(grep -c '^Hunk .* succeeded' <<<"$patch_out" || true) hunks" \
            "applied at an offset, $(grep -c 'with fuzz' <<<"$patch_out" ||
            true) of them with fuzz"
        grep 'with fuzz' <<<"$patch_out" >&2 || true
        printf '%s\n' "$PATCH_WANT" >"$PATCH_STAMP"
    fi
fi
if [[ ${NOVA_SDIST_ONLY:-0} == 1 ]]; then
    echo "NOVA_SDIST=$SDIST"
    exit 0
fi

# 2. the venv
if [[ ! -x $VENV/bin/python ]]; then
    log "creating venv $VENV ($PY)"
    "$PY" -m venv "$VENV"
fi

# 3. the packages
# SQLAlchemy<2.1: without OpenStack's upper-constraints pip takes 2.1.x, whose
# orm.noload() deprecation Nova's WarningsFixture turns into errors.
# openstack-placement: the functional tests run Placement in-process.
# shellcheck disable=SC2206
EXTRA=(${NOVA_SM_EXTRA_PIP:-})
# py-spy: the run script's watchdog dumps a stalled worker's OS threads.
ARGS=(-e "$SDIST" -r "$SDIST/requirements.txt" -r "$SDIST/test-requirements.txt"
      openstack-placement 'SQLAlchemy>=2.0,<2.1' py-spy "${EXTRA[@]}")
STAMP="$VENV/.nova-setup-stamp"
WANT=$(printf '%s\n' "$NOVA_VERSION" "${ARGS[@]}")
if [[ ! -f $STAMP || "$(cat "$STAMP")" != "$WANT" ]]; then
    log "pip install ${ARGS[*]}"
    start=$(date +%s)
    quiet_pip "$VENV/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
    quiet_pip "$VENV/bin/python" -m pip install --quiet "${ARGS[@]}"
    "$VENV/bin/python" -m pip check >&2 || log "warning: pip check reported problems"
    printf '%s\n' "$WANT" > "$STAMP"
    log "pip install took $(( $(date +%s) - start ))s"
else
    log "packages up to date (stamp $STAMP)"
fi

# 4. the test hooks (stack dumps on SIGUSR2, the move recorder), each off
# unless its environment variable asks for it: see nova_sm_testhooks.py.
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp "$(dirname "$0")/nova_sm_testhooks.py" "$SITE/nova_sm_testhooks.py"
echo 'import nova_sm_testhooks; nova_sm_testhooks.install()' >"$SITE/nova_sm_testhooks.pth"

echo "NOVA_VENV=$VENV"
echo "NOVA_SDIST=$SDIST"
