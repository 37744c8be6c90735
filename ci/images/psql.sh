# shellcheck shell=bash
# Recipe: 127.0.0.1:5000/sandrun/psql — Debian's real psql binary (not the
# postgresql-common perl wrapper) and its shared libraries, on busybox.
# psql reads no ~/.psqlrc it cannot find and needs no writable home, so it
# runs as user 65534 on a read-only root with HOME unset or /tmp.
# Usage (from ci/setup.sh): bash ci/images/psql.sh OUTDIR
# shellcheck source=ci/images/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rootfs_busybox

psql=$(printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
[[ -x $psql ]] || psql=
[[ -n $psql ]] || { echo "no /usr/lib/postgresql/*/bin/psql (postgresql-client)" >&2; exit 1; }
add_elf "$psql"
ln -sfn "../lib/postgresql/$(basename "$(dirname "$(dirname "$psql")")")/bin/psql" "$R/usr/bin/psql"

set_toolchain "PostgreSQL client: $("$psql" --version) (Debian postgresql-client); busybox"
