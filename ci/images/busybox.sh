# shellcheck shell=bash
# Recipe: 127.0.0.1:5000/sandrun/busybox — busybox-static and nothing else.
# Usage (from ci/setup.sh): bash ci/images/busybox.sh OUTDIR
# shellcheck source=ci/images/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rootfs_busybox
set_toolchain "BusyBox $(/bin/busybox | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p') (Debian busybox-static), sh and all applets in /bin"
