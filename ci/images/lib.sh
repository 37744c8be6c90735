# shellcheck shell=bash
# Helpers for the image recipes in ci/images/<name>.sh (sourced, bash).
#
# A recipe is run as `bash ci/images/<name>.sh OUT` by ci/setup.sh. It fills
#   OUT/rootfs     the image's root filesystem
#   OUT/files      every host file copied into it (one path a line); setup.sh
#                  maps them to their Debian packages for the image's
#                  `packages` list and input hash
#   OUT/env        KEY=VALUE lines for the image config (ENV)
#   OUT/toolchain  one line of free text for the catalogue
# Everything comes from this machine's Debian packages; nothing is downloaded.
# This file and the recipe are part of the image's input hash: changing either
# rebuilds the image.

set -euo pipefail

OUT=${1:?usage: $0 OUTDIR}
R=$OUT/rootfs
mkdir -p "$R"
: >"$OUT/files"
: >"$OUT/env"
: >"$OUT/toolchain"

# Merged /usr as on the host: /lib and /lib64 point into /usr, so the paths
# ld.so and ldd use (/lib64/ld-linux-x86-64.so.2, /lib/x86_64-linux-gnu/...)
# resolve in the image exactly as here. /bin and /sbin stay real directories
# holding the busybox applets.
_usr_alias()
{
	local d
	for d in lib lib64; do
		if [[ -L /$d ]]; then
			ln -sfn "$(readlink "/$d")" "$R/$d"
		elif [[ -d /$d ]]; then
			mkdir -p "$R/$d"
		fi
	done
}

# add_path HOSTPATH: copy one host file into the rootfs at its real location;
# symlinks on the way (the file itself, a SONAME link) are recreated as links.
add_path()
{
	local p=$1 dir base src t
	dir=$(realpath -e "$(dirname "$p")")
	base=$(basename "$p")
	src=$dir/$base
	if [[ -e $R$src || -L $R$src ]]; then
		return 0
	fi
	mkdir -p "$R$dir"
	if [[ -L $src ]]; then
		t=$(readlink "$src")
		ln -s "$t" "$R$src"
		case $t in
		/*) add_path "$t" ;;
		*) add_path "$dir/$t" ;;
		esac
	else
		[[ -f $src ]] || { echo "add_path: $src is not a regular file" >&2; return 1; }
		cp --preserve=mode "$src" "$R$src"
		chmod go-w "$R$src"
		printf '%s\n' "$src" >>"$OUT/files"
	fi
}

# elf_libs BINARY: the absolute paths of the shared objects BINARY loads,
# dynamic loader included (vdso excluded). Fails on "not found".
elf_libs()
{
	local out
	out=$(ldd "$1") || { echo "ldd $1 failed" >&2; return 1; }
	if grep -q 'not found' <<<"$out"; then
		echo "ldd $1: $out" >&2
		return 1
	fi
	awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }' <<<"$out"
}

# add_elf HOSTPATH: the binary and every shared library it needs.
add_elf()
{
	local lib
	add_path "$1"
	for lib in $(elf_libs "$1"); do
		add_path "$lib"
	done
}

# set_env KEY VALUE / set_toolchain TEXT: image config and catalogue text.
set_env() { printf '%s=%s\n' "$1" "$2" >>"$OUT/env"; }
set_toolchain() { printf '%s\n' "$1" >"$OUT/toolchain"; }

# rootfs_busybox: the base every test image shares. busybox-static with all
# its applets as links in /bin, root and nobody (65534), /tmp 1777 (a tmpfs
# mounted over a directory takes its mode, and user 65534 must write there),
# an empty /work and /sandrun for the runner's mounts.
rootfs_busybox()
{
	local a
	mkdir -p "$R"/{bin,sbin,etc,usr/bin,usr/sbin,usr/lib,proc,sys,dev,run,var,root,tmp,work,sandrun}
	_usr_alias
	cp /bin/busybox "$R/bin/busybox"
	chmod 0755 "$R/bin/busybox"
	printf '/bin/busybox\n' >>"$OUT/files"
	for a in $("$R/bin/busybox" --list); do
		[[ $a == busybox ]] && continue
		ln -sfn busybox "$R/bin/$a"
	done
	ln -sfn ../../bin/busybox "$R/usr/bin/env"

	cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/tmp:/bin/false
EOF
	cat >"$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
nobody:x:65534:
EOF
	cat >"$R/etc/nsswitch.conf" <<'EOF'
passwd: files
group:  files
hosts:  files dns
EOF
	: >"$R/etc/hosts"
	: >"$R/etc/resolv.conf"
	: >"$R/etc/hostname"
	chmod 0644 "$R"/etc/*
	chmod 0755 "$R" "$R"/{bin,sbin,etc,usr,usr/bin,usr/sbin,usr/lib,proc,sys,dev,run,var,work,sandrun}
	chmod 0700 "$R/root"
	chmod 1777 "$R/tmp"
	set_env PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
}
