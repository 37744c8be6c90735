#!/usr/bin/env bash
# Image 127.0.0.1:$SANDRUN_REGISTRY_PORT/sandrun/helper:<tag> — the DNS relay
# sandrun starts on a run's network when it cannot bind UDP 53 itself (not
# root). It holds the static binary that `make build/helper/sr-dnsfwd` builds
# from runner/helper/sr-dnsfwd.c, an empty /etc and /tmp, nothing else:
# no shell, no libraries.
#
#   bash ci/images/helper.sh BINARY
#
# <tag> is the first 12 hex digits of the binary's sha256, so the tag names
# its content: when the registry already serves that tag nothing is built.
# Otherwise the rootfs is imported with `docker import` (deterministic tar)
# and pushed. Prints on stdout the catalogue entry, pinned to the digest the
# registry serves:
#
#   [[image]]
#   toolchain_id = "sandrun-helper"
#   base = "127.0.0.1:5000/sandrun/helper:<tag>"
#   toolchain = "..."
#   packages = { libc6-dev = "<version>" }
#   digest = "sha256:..."
#
# Progress on stderr. Needs docker (root or the docker group), curl, readelf.
set -euo pipefail

BIN=${1:?usage: $0 BINARY}
PORT=${SANDRUN_REGISTRY_PORT:-5000}
REG=127.0.0.1:$PORT
ACCEPT='application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json'
export LC_ALL=C

say() { printf 'helper image: %s\n' "$*" >&2; }
die()
{
	printf 'helper image: error: %s\n' "$*" >&2
	exit 1
}

[[ -f $BIN && -x $BIN ]] || die "$BIN is not an executable file (run: make build/helper/sr-dnsfwd)"
# The image has no loader and no libraries: a dynamic binary would not start.
if LC_ALL=C readelf -l "$BIN" 2>/dev/null | grep -q 'INTERP'; then
	die "$BIN is not statically linked"
fi

TAG=$(sha256sum <"$BIN" | cut -c1-12)
REF=$REG/sandrun/helper:$TAG
TMP=$(mktemp -d /tmp/sandrun-helper.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# reg_digest: the manifest digest the registry serves for $TAG; fails when absent.
reg_digest()
{
	local d
	curl -fsS -m 10 -I -H "Accept: $ACCEPT" -o "$TMP/headers" \
		"http://$REG/v2/sandrun/helper/manifests/$TAG" 2>/dev/null || return 1
	d=$(tr -d '\r' <"$TMP/headers" | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}')
	[[ $d == sha256:* ]] || return 1
	echo "$d"
}

LIBC=$(dpkg-query -W -f '${Version}' libc6-dev 2>/dev/null || true)
GCC=$(gcc -dumpfullversion 2>/dev/null || echo '?')
TOOLCHAIN="sandrun DNS relay sr-dnsfwd (static, built with Debian gcc $GCC and libc6-dev $LIBC)"

if digest=$(reg_digest); then
	say "$REF up to date ($digest)"
else
	say "building $REF"
	R=$TMP/rootfs
	mkdir -p "$R/etc" "$R/tmp"
	cp "$BIN" "$R/sr-dnsfwd"
	chmod 0755 "$R" "$R/etc" "$R/sr-dnsfwd"
	chmod 1777 "$R/tmp"
	old=$(docker image inspect --format '{{.Id}}' "$REF" 2>/dev/null || true)
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$R" -cf - . |
		docker import \
			--change 'ENTRYPOINT ["/sr-dnsfwd"]' \
			--change 'USER 65534:65534' \
			--change "LABEL sandrun.toolchain=\"$TOOLCHAIN\"" \
			--change 'LABEL org.opencontainers.image.source="sandrun ci/images/helper.sh"' \
			-m "ci/images/helper.sh $TAG" - "$REF" >/dev/null ||
		die "docker import of $REF failed"
	docker push "$REF" >"$TMP/push.log" 2>&1 || {
		cat "$TMP/push.log" >&2
		die "docker push $REF failed"
	}
	digest=$(reg_digest) || die "registry does not serve $REF after the push"
	new=$(docker image inspect --format '{{.Id}}' "$REF")
	[[ -z $old || $old == "$new" ]] || docker image rm "$old" >/dev/null 2>&1 || true
	say "pushed $REF@$digest"
fi

toml_str()
{
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}
printf '[[image]]\n'
printf 'toolchain_id = "sandrun-helper"\n'
printf 'base = %s\n' "$(toml_str "$REF")"
printf 'toolchain = %s\n' "$(toml_str "$TOOLCHAIN")"
printf 'packages = { libc6-dev = %s }\n' "$(toml_str "$LIBC")"
printf 'digest = %s\n' "$(toml_str "$digest")"
