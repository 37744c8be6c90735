#!/usr/bin/env bash
# Set up this machine for sandrun's suite and tests (DESIGN §9). Root,
# idempotent, a few seconds when nothing is left to do:
#   1. Debian packages: installs only the missing ones (apt-get update only then)
#   2. dockerd (Debian docker.io, runc) in the background, awaited
#   3. Debian's docker-registry on 127.0.0.1:$SANDRUN_REGISTRY_PORT (default 5000)
#   4. test images busybox, libfuzzer, psql assembled offline from Debian
#      packages (ci/images/<name>.sh), `docker import`ed and pushed there;
#      rebuilt only when their inputs (recipe + package versions) changed
#   5. the bundled fuzz harness binaries (harnesses/*/work/fuzz_target)
#   6. the local catalogue ci/local/images.toml, pinned to the pushed digests
#   (2b. gVisor's runsc registered with dockerd: ci/setup-runsc.sh)
#   7. a one-node Slurm cluster (ci/setup-slurm.sh; SANDRUN_SETUP_SLURM=0 skips it)
#
# Environment: SANDRUN_REGISTRY_PORT (5000), SANDRUN_DOCKER_STORAGE_DRIVER
# (default: dockerd's own choice, overlay2 here; vfs is tried when that fails),
# SANDRUN_SETUP_REBUILD=1 (rebuild and push every image).
# Logs: /var/log/sandrun-dockerd.log, /var/log/sandrun-registry.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${SANDRUN_REGISTRY_PORT:-5000}
REG=127.0.0.1:$PORT
LOCAL=$ROOT/ci/local
IMAGES=(busybox libfuzzer psql)
DOCKERD_LOG=/var/log/sandrun-dockerd.log
REGISTRY_LOG=/var/log/sandrun-registry.log
REGISTRY_DIR=/var/lib/sandrun-registry
export LC_ALL=C

say() { printf 'setup: %s\n' "$*"; }
die()
{
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}

[[ $(id -u) == 0 ]] || die "must run as root (it installs packages and starts dockerd)"
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
	die "bad SANDRUN_REGISTRY_PORT '$PORT'"
fi

TMP=$(mktemp -d /tmp/sandrun-setup.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# daemonize LOG CMD...: start CMD in its own session, detached from every
# descriptor of ours (a caller reading our output through a pipe must not
# wait for the daemon), output appended to LOG. Sets DAEMON_PID.
daemonize()
{
	local log=$1 fd
	shift
	(
		cd /
		for fd in "/proc/$BASHPID/fd"/*; do
			fd=${fd##*/}
			((fd > 2)) && eval "exec $fd>&-"
		done
		exec setsid nohup "$@" </dev/null >>"$log" 2>&1
	) &
	DAEMON_PID=$!
}

# ---------------------------------------------------------------- 1. packages
PKGS=(build-essential gcc clang libclang-rt-14-dev llvm pkg-config make scdoc mandoc libcurl4-openssl-dev libssl-dev libyaml-dev
	libgit2-dev libxxhash-dev libcmocka-dev docker.io docker-registry busybox-static
	iptables postgresql-client jq git ca-certificates curl binutils bc time clang-format
	python3 python3-jsonschema python3-jwt python3-cryptography openssl procps podman catatonit chromium runsc
	python3-yaml dpkg-dev debhelper lintian fakeroot)

# A working engine is used as it is: GitHub's runner images ship Docker CE,
# whose containerd.io conflicts with Debian's docker.io.
if timeout 20 docker info >/dev/null 2>&1; then
	mapfile -t PKGS < <(printf '%s\n' "${PKGS[@]}" | grep -vx docker.io)
fi

declare -A have=()
while read -r name status; do
	[[ $status == ii ]] && have[$name]=1
done < <(dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)
missing=()
for p in "${PKGS[@]}"; do
	[[ -n ${have[$p]:-} ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	say "installing ${missing[*]}"
	# No service may start from a maintainer script: dockerd and the
	# registry are started below, our way.
	policy=
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		trap 'rm -f /usr/sbin/policy-rc.d; rm -rf "$TMP"' EXIT
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$TMP/apt.log" 2>&1 ||
		{ tail -n 30 "$TMP/apt.log" >&2; die "apt-get install failed"; }
	if [[ -n $policy ]]; then
		rm -f "$policy"
		trap 'rm -rf "$TMP"' EXIT
	fi
else
	say "packages: all ${#PKGS[@]} present"
fi

# ------------------------------------------------------------------ 2. dockerd
# `docker` on PATH may be a newer client (here /usr/local/bin/docker 28); it
# negotiates the API version down to what Debian's dockerd 20.10 speaks
# (1.41), so no DOCKER_API_VERSION is needed. A client that cannot
# negotiate fails the version check below with the daemon's message.
docker_version() { timeout 20 docker version --format '{{.Client.Version}} {{.Server.Version}} {{.Server.APIVersion}}' 2>"$TMP/docker.err"; }

start_dockerd()
{
	local args=() i
	# --default-runtime=runc unless daemon.json already chooses (dockerd
	# refuses a directive given both ways).
	if ! { [[ -f /etc/docker/daemon.json ]] && grep -q '"default-runtime"' /etc/docker/daemon.json; }; then
		args+=(--default-runtime=runc)
	fi
	[[ -n ${1:-} ]] && args+=(--storage-driver="$1")
	say "starting dockerd ${args[*]} (log $DOCKERD_LOG)"
	printf '\n==== %s setup.sh: dockerd %s\n' "$(date -Is)" "${args[*]}" >>"$DOCKERD_LOG"
	daemonize "$DOCKERD_LOG" dockerd "${args[@]}"
	# Our own record of the daemon we started: tests stop and restart only
	# this pid, never a dockerd found by name.
	mkdir -p /run/sandrun
	echo "$DAEMON_PID" >/run/sandrun/dockerd.pid
	for ((i = 0; i < 300; i++)); do
		if docker_version >/dev/null; then
			return 0
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

dockerd_running_pid()
{
	local pid
	pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
	[[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] && echo "$pid"
}

if ! ver=$(docker_version); then
	if pid=$(dockerd_running_pid); then
		say "dockerd (pid $pid) is running but not answering yet; waiting"
		for ((i = 0; i < 300; i++)); do
			ver=$(docker_version) && break
			sleep 0.2
		done
		[[ -n ${ver:-} ]] || die "dockerd (pid $pid) does not answer: $(cat "$TMP/docker.err")"
	elif start_dockerd "${SANDRUN_DOCKER_STORAGE_DRIVER:-}"; then
		ver=$(docker_version)
	elif [[ -z ${SANDRUN_DOCKER_STORAGE_DRIVER:-} ]] && ! dockerd_running_pid >/dev/null &&
		tail -n 40 "$DOCKERD_LOG" | grep -qiE 'overlay|graphdriver|storage.driver'; then
		say "dockerd failed with its default storage driver; retrying with vfs"
		start_dockerd vfs || { tail -n 20 "$DOCKERD_LOG" >&2; die "dockerd did not start (log $DOCKERD_LOG)"; }
		ver=$(docker_version)
	else
		tail -n 20 "$DOCKERD_LOG" >&2
		cat "$TMP/docker.err" >&2
		die "dockerd did not answer within 60 s (log $DOCKERD_LOG)"
	fi
fi
read -r client_ver server_ver api_ver <<<"$ver"
say "docker: client $client_ver ($(command -v docker)), engine $server_ver, API $api_ver, storage $(docker info --format '{{.Driver}}' 2>/dev/null)"

# ----------------------------------------------------------------- 3. registry
registry_up() { curl -fsS -m 3 -o /dev/null "http://$REG/v2/" 2>/dev/null; }

if ! registry_up; then
	if ss -Hltn "sport = :$PORT" | grep -q .; then
		die "port $PORT is in use but does not answer as a registry: $(ss -Hltnp "sport = :$PORT")"
	fi
	mkdir -p "$REGISTRY_DIR"
	say "starting docker-registry on $REG (storage $REGISTRY_DIR, log $REGISTRY_LOG)"
	printf '\n==== %s setup.sh: docker-registry on %s\n' "$(date -Is)" "$REG" >>"$REGISTRY_LOG"
	daemonize "$REGISTRY_LOG" env REGISTRY_HTTP_ADDR="$REG" \
		REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="$REGISTRY_DIR" \
		docker-registry serve "$ROOT/ci/registry.yml"
	for ((i = 0; i < 100; i++)); do
		registry_up && break
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.2
	done
	registry_up || { tail -n 20 "$REGISTRY_LOG" >&2; die "docker-registry did not answer on $REG"; }
fi
listen=$(ss -Hltn "sport = :$PORT" | awk '{print $4}' | sort -u | tr '\n' ' ')
for a in $listen; do
	[[ $a == 127.* ]] || say "WARNING: something listens on $a, not only on loopback"
done
say "registry: http://$REG/v2/ answers (listening on ${listen% })"

# ------------------------------------------- gVisor's runsc, a second runtime
# Merged into /etc/docker/daemon.json, dockerd reloaded by its pid (issue 20).
"$ROOT/ci/setup-runsc.sh" || say "WARNING: runtime runsc not registered; the runsc tests will fail"

# ------------------------------------------------ podman, the second engine
# runc and cgroupfs work here (crun and systemd do not); podman's default
# rlimits exceed this machine's hard limits; the loopback registry is HTTP.
write_if_changed() {
	local f=$1 content=$2
	if [[ ! -f $f ]] || [[ "$(cat "$f")" != "$content" ]]; then
		mkdir -p "$(dirname "$f")"
		printf '%s\n' "$content" >"$f.tmp" && mv "$f.tmp" "$f"
		say "wrote $f"
	fi
}
write_if_changed /etc/containers/containers.conf.d/sandrun.conf "# written by sandrun ci/setup.sh
[containers]
default_ulimits = []

[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\""
write_if_changed /etc/containers/registries.conf.d/sandrun.conf "# written by sandrun ci/setup.sh
[[registry]]
location = \"$REG\"
insecure = true"

# ------------------------------------------------------------------- 4. images
ACCEPT='application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json'

# reg_manifest NAME: the manifest of sandrun/NAME:latest into $TMP/NAME.manifest,
# its digest (as the registry serves it) on stdout. Fails when absent.
reg_manifest()
{
	local name=$1 d
	curl -fsS -m 10 -H "Accept: $ACCEPT" -D "$TMP/$name.headers" -o "$TMP/$name.manifest" \
		"http://$REG/v2/sandrun/$name/manifests/latest" 2>/dev/null || return 1
	d=$(tr -d '\r' <"$TMP/$name.headers" | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}')
	[[ $d == sha256:* ]] || return 1
	echo "$d"
}

# reg_labels NAME: the image config's labels (JSON object) of the manifest
# reg_manifest fetched.
reg_labels()
{
	local cfg
	cfg=$(jq -r '.config.digest // empty' "$TMP/$1.manifest") || return 1
	[[ -n $cfg ]] || return 1
	curl -fsS -m 10 "http://$REG/v2/sandrun/$1/blobs/$cfg" 2>/dev/null | jq -c '.config.Labels // {}'
}

# pkg_versions PKG...: "name=version" lines, sorted; "name=" when not installed.
pkg_versions()
{
	local p v
	declare -A ver=()
	while IFS=$'\t' read -r p v; do
		ver[$p]=$v
	done < <(dpkg-query -W -f '${Package}\t${Version}\n' "$@" 2>/dev/null || true)
	for p in "$@"; do
		printf '%s=%s\n' "$p" "${ver[$p]:-}"
	done | sort -u
}

# input_hash NAME PKG...: what an image is built from — its recipe, the
# shared helpers and the versions of the packages its files come from.
input_hash()
{
	local name=$1
	shift
	{
		printf 'sandrun-image-v1 %s\n' "$name"
		sha256sum <"$ROOT/ci/images/lib.sh"
		sha256sum <"$ROOT/ci/images/$name.sh"
		pkg_versions "$@"
	} | sha256sum | cut -d' ' -f1
}

# file_owners FILE...: the Debian packages the files belong to. With merged
# /usr, dpkg knows a library by whichever of /lib/x or /usr/lib/x its
# package shipped, so both spellings are asked.
file_owners()
{
	local f q=() pk
	for f in "$@"; do
		q+=("$f")
		case $f in
		/usr/*) q+=("${f#/usr}") ;;
		*) q+=("/usr$f") ;;
		esac
	done
	# "pkg[:arch][, pkg2...]: /path" -> "/path<TAB>pkg[, pkg2]"
	dpkg-query -S "${q[@]}" 2>/dev/null | sed -n 's/^\([^/]*\): \(\/.*\)$/\2\t\1/p' >"$TMP/owners" || true
	for f in "$@"; do
		pk=$(awk -F'\t' -v a="$f" -v b="${f#/usr}" -v c="/usr$f" \
			'$1==a || $1==b || $1==c {print $2; exit}' "$TMP/owners")
		[[ -n $pk ]] || { echo "no Debian package owns $f" >&2; return 1; }
		printf '%s\n' "$pk"
	done | tr ',' '\n' | sed 's/^ *//; s/:.*//' | sort -u
}

declare -A DIGEST=() PACKAGES=() TOOLCHAIN=()

build_image()
{
	local name=$1 ref=$REG/sandrun/$1:latest out=$TMP/build-$1 hash pkgs=() old new pushed digest owners files=()
	local changes=() kv
	say "building image $name"
	mkdir -p "$out"
	bash "$ROOT/ci/images/$name.sh" "$out" >"$out/log" 2>&1 ||
		{ cat "$out/log" >&2; die "recipe ci/images/$name.sh failed"; }
	mapfile -t files <"$out/files"
	owners=$(file_owners "${files[@]}") || die "image $name: cannot map its files to Debian packages"
	mapfile -t pkgs <<<"$owners"
	hash=$(input_hash "$name" "${pkgs[@]}")
	while IFS= read -r kv; do
		[[ -n $kv ]] && changes+=(--change "ENV $kv")
	done <"$out/env"
	changes+=(--change "LABEL sandrun.inputs=$hash"
		--change "LABEL sandrun.packages=$(pkg_versions "${pkgs[@]}" | paste -sd, -)"
		--change "LABEL sandrun.toolchain=\"$(sed 's/["\\]/\\&/g' "$out/toolchain")\""
		--change "LABEL org.opencontainers.image.source=\"sandrun ci/images/$name.sh\""
		--change 'CMD ["sh"]')
	old=$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
	# Deterministic layer: sorted names, fixed mtime, numeric root owner.
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$out/rootfs" -cf - . |
		docker import "${changes[@]}" -m "ci/setup.sh $name $hash" - "$ref" >/dev/null ||
		die "docker import of $name failed"
	new=$(docker image inspect --format '{{.Id}}' "$ref")
	docker push "$ref" >"$out/push.log" 2>&1 || { cat "$out/push.log" >&2; die "docker push $ref failed"; }
	pushed=$(sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' "$out/push.log" | tail -n 1)
	digest=$(reg_manifest "$name") || die "registry does not serve $ref after the push"
	[[ $pushed == "$digest" ]] || die "push of $ref reported $pushed, registry serves $digest"
	# The previous build of this tag is now untagged: drop it if nothing uses it.
	if [[ -n $old && $old != "$new" ]]; then
		docker image rm "$old" >/dev/null 2>&1 || true
	fi
	say "pushed $ref@$digest ($(du -sh "$out/rootfs" | cut -f1) rootfs, ${#pkgs[@]} packages)"
}

for name in "${IMAGES[@]}"; do
	labels='{}'
	if [[ ${SANDRUN_SETUP_REBUILD:-0} != 1 ]] && digest=$(reg_manifest "$name") &&
		labels=$(reg_labels "$name"); then
		want=$(jq -r '."sandrun.inputs" // ""' <<<"$labels")
		mapfile -t pkgs < <(jq -r '."sandrun.packages" // ""' <<<"$labels" | tr ',' '\n' | sed -n 's/=.*//p')
		if [[ -n $want ]] && ((${#pkgs[@]})) && [[ $(input_hash "$name" "${pkgs[@]}") == "$want" ]]; then
			# Up to date in the registry; docker still needs to hold it
			# locally only for runs, and `sandrun run --pull missing` sees to that.
			say "image $name up to date ($digest)"
		else
			build_image "$name"
		fi
	else
		build_image "$name"
	fi
	digest=$(reg_manifest "$name") || die "registry does not serve sandrun/$name:latest"
	labels=$(reg_labels "$name") || die "cannot read the config of sandrun/$name:latest"
	DIGEST[$name]=$digest
	PACKAGES[$name]=$(jq -r '."sandrun.packages" // ""' <<<"$labels")
	TOOLCHAIN[$name]=$(jq -r '."sandrun.toolchain" // ""' <<<"$labels")
done

# ------------------------------------------------ 4b. the DNS relay (issue 14)
# A run without root relays DNS through this image (runner/netpolicy/dnsrelay.h).
make -s -C "$ROOT" build/helper/sr-dnsfwd >/dev/null || die "cannot build build/helper/sr-dnsfwd"
HELPER_ENTRY=$(bash "$ROOT/ci/images/helper.sh" "$ROOT/build/helper/sr-dnsfwd") ||
	die "the sandrun-helper image failed"

# ----------------------------------------------------------- 5. fuzz harnesses
for src in "$ROOT"/harnesses/*/fuzz_target.c; do
	[[ -e $src ]] || continue
	dir=$(dirname "$src")
	bin=$dir/work/fuzz_target
	if [[ ! -x $bin || $src -nt $bin ]]; then
		say "compiling ${bin#"$ROOT"/}"
		mkdir -p "$dir/work"
		clang -g -O1 -fsanitize=fuzzer,address,undefined -o "$bin.tmp" "$src" ||
			die "cannot compile $src"
		mv -f "$bin.tmp" "$bin"
	fi
done

# ---------------------------------------------------------------- 6. catalogue
# toml_str S: a TOML basic string.
toml_str()
{
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# toml_pkgs "a=1,b=2": an inline table; keys outside [A-Za-z0-9_-] are quoted.
toml_pkgs()
{
	local kv k v sep='' out='{'
	IFS=',' read -ra kvs <<<"$1"
	for kv in "${kvs[@]}"; do
		k=${kv%%=*}
		v=${kv#*=}
		[[ $k =~ ^[A-Za-z0-9_-]+$ ]] || k=$(toml_str "$k")
		out+="$sep $k = $(toml_str "$v")"
		sep=','
	done
	[[ $out == '{' ]] && out='{}' || out+=' }'
	printf '%s' "$out"
}

cat_new=$TMP/images.toml
{
	# shellcheck disable=SC2016 # backquotes are text
	printf '# Generated by ci/setup.sh: do not edit, rerun `ci/setup.sh` (or `make setup`).\n'
	printf '# Local test catalogue (DESIGN §3): images assembled offline from this\n'
	printf "# machine's Debian packages, pushed to the loopback registry %s and\n" "$REG"
	printf '# pinned to the manifest digests the registry serves.\n'
	for name in "${IMAGES[@]}"; do
		printf '\n[[image]]\n'
		printf 'toolchain_id = %s\n' "$(toml_str "$name")"
		printf 'base = %s\n' "$(toml_str "$REG/sandrun/$name:latest")"
		printf 'toolchain = %s\n' "$(toml_str "${TOOLCHAIN[$name]}")"
		printf 'packages = %s\n' "$(toml_pkgs "${PACKAGES[$name]}")"
		printf 'digest = %s\n' "$(toml_str "${DIGEST[$name]}")"
	done
	printf '\n%s\n' "$HELPER_ENTRY"
} >"$cat_new"
if cmp -s "$cat_new" "$LOCAL/images.toml"; then
	say "catalogue ${LOCAL#"$ROOT"/}/images.toml unchanged"
else
	# Atomic: a temporary file beside the target, renamed over it.
	mkdir -p "$LOCAL"
	cp "$cat_new" "$LOCAL/.images.toml.$$"
	mv -f "$LOCAL/.images.toml.$$" "$LOCAL/images.toml"
	say "wrote ${LOCAL#"$ROOT"/}/images.toml"
fi
# ---------------------------------------------------- 7. Slurm (SANDRUN_SETUP_SLURM=0 skips)
[[ ${SANDRUN_SETUP_SLURM:-1} == 0 ]] || "$ROOT/ci/setup-slurm.sh" || die "Slurm set-up failed (ci/setup-slurm.sh)"
say "done"
