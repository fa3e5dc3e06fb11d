#!/usr/bin/env bash
# Installs what `make test` needs and a fresh Debian 12 machine lacks:
# the PostgreSQL server binaries, Chromium, and a pinned MinIO server built
# with `go install` into the MSP Hub cache. It is idempotent and prints one
# line per thing it installs, so it is silent (and takes well under a second)
# when everything is already present. It is not meant to run concurrently
# with another copy of itself.
set -euo pipefail

# MINIO_VERSION is pinned so every machine tests against the same server.
# The second S3 server the suites also run against (gofakes3, pinned in go.mod) is served by
# cmd/testenv itself and needs nothing here. SeaweedFS's S3 gateway was tried first:
# `go install github.com/seaweedfs/seaweedfs/weed@v0.0.0-20261109003541-7506e5f91cd6` refuses to
# build (its go.mod has replace directives), and building it from its module source had not
# finished after 15 minutes on a 2-core machine.
readonly MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

cache_dir="${MSPHUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/msphub}"
bin_dir="$cache_dir/bin"

# as_root runs a command as root: directly when we are root, through sudo
# otherwise (when sudo exists; apt-get will then report its own error).
as_root() {
	if [[ $(id -u) -eq 0 ]] || ! command -v sudo >/dev/null 2>&1; then
		"$@"
	else
		sudo "$@"
	fi
}

apt_updated=false

# apt_install installs Debian packages quietly, running `apt-get update`
# once per run first so a fresh machine's empty package lists are filled.
# Failures are returned explicitly: callers use it in `if`, where set -e
# does not apply.
apt_install() {
	if [[ $apt_updated == false ]]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return
		apt_updated=true
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

have_postgres() {
	compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

if ! have_postgres; then
	echo "deps: installing PostgreSQL server (apt-get install postgresql)"
	apt_install postgresql
fi

if ! command -v chromium >/dev/null 2>&1; then
	echo "deps: installing Chromium (apt-get install chromium)"
	# A first install on a fresh machine can fail on a transient dpkg error
	# (a post-install trigger racing another); a second attempt succeeds.
	if ! apt_install chromium; then
		echo "deps: retrying Chromium install"
		as_root dpkg --configure -a >/dev/null 2>&1 || true
		apt_install chromium
	fi
fi

if [[ ! -x $bin_dir/minio ]]; then
	echo "deps: building MinIO $MINIO_VERSION into $bin_dir (takes a few minutes the first time)"
	mkdir -p "$bin_dir"
	# Build into a scratch directory and move the result into place, so an
	# interrupted build never leaves a truncated binary that looks installed.
	scratch="$(mktemp -d "$bin_dir/.minio-build.XXXXXX")"
	trap 'rm -rf "$scratch"' EXIT
	GOBIN="$scratch" go install "github.com/minio/minio@$MINIO_VERSION"
	mv -f "$scratch/minio" "$bin_dir/minio"
fi
