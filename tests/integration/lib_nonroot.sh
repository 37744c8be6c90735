# shellcheck shell=bash
# Helpers for tests that drive sandrun as a non-root account in the docker
# group (issue 14): the same engine, registry and catalogue, but no
# CAP_NET_BIND_SERVICE, no iptables, no tmpfs mounts. Sourced after lib.sh
# (uses ROOT, SANDRUN, CAT when set). Root is needed to create the account.
#
#   nonroot_setup          idempotent: the account, a private tree it owns
#                          ($NR_DIR) with a copy of the binary and catalogue
#   nonroot_copy SRC...    copy spec trees into $NR_DIR/suite (owned by the account)
#   as_nonroot CMD...      run CMD as the account, in $NR_DIR, clean environment
#   nonroot_sandrun ARG... the copied sandrun, as the account
#   nonroot_teardown       remove $NR_DIR (the account stays: it is idempotent)
#
# Pitfalls this works around (each one bit when done by hand):
# - runuser keeps root's environment unless told otherwise: HOME would stay
#   /root (unreadable, docker's CLI then warns about ~/.docker), PATH may
#   name /root/.pyenv shims the account cannot execute, and lib.sh's
#   SANDRUN_ARTIFACTS points into a 0700 root directory. as_nonroot starts
#   from `env -i` and sets HOME, PATH, TMPDIR, LANG and SANDRUN_* itself.
# - lib.sh's $TMP and the worktrees under /work are root-owned: the account
#   can read /work (0755) but write nowhere there, so reports, artifacts,
#   the runner's run directories (TMPDIR) and the suite copy live in $NR_DIR.
# - runuser fails when the current directory is not searchable by the
#   account: as_nonroot changes to $NR_DIR first.
# - A freshly added docker group membership counts at once: runuser calls
#   initgroups, no re-login or newgrp is needed.
# - Without root the runner copies a workdir as the account's own files
#   (mode kept, /work itself 0777): a harness running as 65534 can create
#   files in /work but not rewrite a copied 0644 file.
# - Python for helpers: use /usr/bin/python3, not the first python3 on
#   root's PATH.
NR_USER=${NR_USER:-sandrun-test}
NR_DIR=${NR_DIR:-}
NR_HOME=

nonroot_setup()
{
	local src=${SANDRUN:-} cat=${CAT:-}
	if [ "$(id -u)" != 0 ]; then
		echo "nonroot_setup: must run as root (it creates the account $NR_USER)" >&2
		return 1
	fi
	if ! getent group docker >/dev/null; then
		echo "nonroot_setup: no docker group on this machine" >&2
		return 1
	fi
	if ! id -u "$NR_USER" >/dev/null 2>&1; then
		useradd -m -s /bin/sh -G docker "$NR_USER" || return 1
	elif ! id -nG "$NR_USER" | tr ' ' '\n' | grep -qx docker; then
		usermod -aG docker "$NR_USER" || return 1
	fi
	NR_HOME=$(getent passwd "$NR_USER" | cut -d: -f6)
	if [ ! -d "$NR_HOME" ]; then
		mkdir -p "$NR_HOME" && chown "$NR_USER:" "$NR_HOME" && chmod 0700 "$NR_HOME"
	fi
	if [ -z "$NR_DIR" ] || [ ! -d "$NR_DIR" ]; then
		NR_DIR=$(mktemp -d /tmp/sandrun-nr.XXXXXX) || return 1
	fi
	mkdir -p "$NR_DIR/bin" "$NR_DIR/tmp" "$NR_DIR/suite" "$NR_DIR/artifacts"
	if [ -n "$src" ] && [ -f "$src" ]; then
		cp "$src" "$NR_DIR/bin/sandrun"
		chmod 0755 "$NR_DIR/bin/sandrun"
	fi
	if [ -n "$cat" ] && [ -f "$cat" ]; then
		cp "$cat" "$NR_DIR/images.toml"
	fi
	chown -R "$NR_USER:" "$NR_DIR"
	chmod 0700 "$NR_DIR"
	# The account must see the docker socket through its group.
	if ! as_nonroot docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
		echo "nonroot_setup: $NR_USER cannot reach the docker engine" >&2
		return 1
	fi
}

# nonroot_copy SRC...: copy files or directories into $NR_DIR/suite.
nonroot_copy()
{
	cp -a "$@" "$NR_DIR/suite/" && chown -R "$NR_USER:" "$NR_DIR/suite"
}

as_nonroot()
{
	(
		cd "$NR_DIR" || exit 1
		runuser -u "$NR_USER" -- env -i \
			HOME="$NR_HOME" USER="$NR_USER" LOGNAME="$NR_USER" \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 TMPDIR="$NR_DIR/tmp" \
			SANDRUN_CATALOGUE="$NR_DIR/images.toml" \
			SANDRUN_ARTIFACTS="$NR_DIR/artifacts" \
			${SANDRUN_REGISTRY_PORT:+SANDRUN_REGISTRY_PORT=$SANDRUN_REGISTRY_PORT} \
			"$@"
	)
}

nonroot_sandrun()
{
	as_nonroot "$NR_DIR/bin/sandrun" "$@"
}

nonroot_teardown()
{
	if [ -n "$NR_DIR" ] && [ -d "$NR_DIR" ]; then
		rm -rf "$NR_DIR"
	fi
	NR_DIR=
}
