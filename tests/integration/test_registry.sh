# Pins over the registry API (issue 22): a TLS registry with htpasswd
# (Basic) and one behind a token server (Bearer), both on loopback with a CA
# the test makes (tests/integration/regfix.py); credentials from auths, a
# credsStore and a credHelpers entry; secrets in no output or log; manifest
# requests only; no engine (DOCKER_HOST points at a socket nobody serves).

regfix() { /usr/bin/python3 "$ROOT/tests/integration/regfix.py" "$@"; }

# reg_up: the fixture started in $RF and its names (REGA REGB TOKEN FLAKY
# REG_USER REG_PASS REG_IDTOKEN CERTS_D) loaded; reg_down stops it by pid.
reg_up() {
	command -v docker-registry >/dev/null || { skip "docker-registry is not installed"; return 1; }
	/usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null ||
		{ skip "python3-jwt/python3-cryptography are not installed"; return 1; }
	RF=$TMP/rf-$CURRENT
	regfix up "$RF" >"$TMP/regfix.out" 2>&1 || {
		fail "the registry fixture did not start: $(tail -3 "$TMP/regfix.out")"
		regfix down "$RF"
		return 1
	}
	. "$RF/env"
	mkdir -p "$RF/dc" "$RF/bin"
}
reg_down() { regfix down "$RF"; }

# A test credential helper: logs its arguments (never a secret: only "get"),
# the server URL it read on stdin, and answers from $RF/creds/<host>.json.
write_helper() {
	cat >"$RF/bin/docker-credential-$1" <<EOS
#!/bin/sh
echo "argv: \$*" >>"$RF/helper-$1.log"
read -r url
echo "stdin: \$url" >>"$RF/helper-$1.log"
f="$RF/creds/\$(printf %s "\$url" | tr ':/' '__').json"
[ "\$1" = get ] && [ -f "\$f" ] && exec cat "\$f"
echo "credentials not found in native keychain"
exit 1
EOS
	chmod +x "$RF/bin/docker-credential-$1"
	mkdir -p "$RF/creds"
}
helper_answers() { # HOST USER SECRET
	printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$1" "$2" "$3" \
		>"$RF/creds/$(printf %s "$1" | tr ':/' '__').json"
}

b64auth() { printf '%s:%s' "$1" "$2" | base64 -w0; }

# sandrun with the fixture's config, CAs and helpers, and no engine.
rsr() {
	DOCKER_CONFIG=$RF/dc SANDRUN_CERTS_D=$CERTS_D DOCKER_HOST=unix://$RF/no-engine.sock \
		PATH=$RF/bin:$PATH "$SANDRUN" "$@"
}

digest_of() { "$SANDRUN" list --catalogue "$1" --format json | jq -r ".[] | select(.toolchain_id == \"$2\") | .${3:-digest}"; }

# No secret in what sandrun printed, wrote, or what any server logged.
assert_secret_nowhere() {
	local f hits=""
	for f in "$@" "$RF"/*.log; do
		[ -f "$f" ] || continue
		grep -qF -e "$REG_PASS" -e "$REG_IDTOKEN" -e "$(b64auth "$REG_USER" "$REG_PASS")" "$f" && hits="$hits $f"
	done
	[ -z "$hits" ] || fail "a secret appears in:$hits"
}

# The registries' access logs hold manifest requests only from sandrun.
assert_manifests_only() {
	local reqs
	reqs=$(grep -h '"sandrun/' "$RF/rega.log" "$RF/regb.log" | grep -o '"[A-Z]* /v2/[^ ]*')
	[ -n "$reqs" ] || { fail "the registries saw no request from sandrun"; return; }
	assert_eq "only manifest requests" "" "$(grep -v '/manifests/' <<<"$reqs")"
}

t_registry_pin_basic_and_bearer_over_tls_without_engine() {
	local c=$TMP/reg.toml out rc a a2 idx amd arm
	reg_up || return
	a=$(regfix push "$RF" sandrun/a latest) && a2=$(regfix push "$RF" sandrun/a v2) &&
		read -r idx amd arm < <(regfix push "$RF" sandrun/multi latest --index) ||
		{ fail "cannot push"; reg_down; return; }
	printf '{"auths":{"%s":{"auth":"%s"},"https://%s/v1/":{"auth":"%s"}}}' "$REGA" \
		"$(b64auth "$REG_USER" "$REG_PASS")" "$REGB" "$(b64auth "$REG_USER" "$REG_PASS")" >"$RF/dc/config.json"
	cat >"$c" <<EOF
[[image]]
toolchain_id = "basic"
base = "$REGA/sandrun/a:latest"

[[image]]
toolchain_id = "bearer"
base = "$REGB/sandrun/a:latest"

[[image]]
toolchain_id = "bearer-v2"
base = "$REGB/sandrun/a:v2"

[[image]]
toolchain_id = "multi"
base = "$REGB/sandrun/multi:latest"
platform = "linux/arm64"
EOF
	# One resolution at a time, so the second tag of sandrun/a must reuse the token.
	out=$(SANDRUN_REGISTRY_JOBS=1 rsr pin --catalogue "$c" --all 2>&1)
	rc=$?
	echo "$out" >"$RF/pin-output.log"
	assert_eq "exit code" 0 "$rc"
	assert_eq "Basic registry digest" "$a" "$(digest_of "$c" basic)"
	assert_eq "Bearer registry digest" "$a" "$(digest_of "$c" bearer)"
	assert_eq "second tag" "$a2" "$(digest_of "$c" bearer-v2)"
	assert_eq "index digest" "$idx" "$(digest_of "$c" multi)"
	assert_eq "platform digest from the same index" "$arm" "$(digest_of "$c" multi platform_digest)"
	[ "$amd" != "$arm" ] || fail "the two platforms must differ"
	assert_eq "one token for the scope of sandrun/a" 1 \
		"$(grep -c 'user=sruser scope=repository:sandrun/a:pull' "$RF/tokenserver.log")"
	assert_manifests_only
	out=$(rsr verify --catalogue "$c" --remote 2>&1)
	assert_eq "verify --remote exit" 0 "$?"
	assert_contains "verify --remote says unchanged" "$out" "multi: ok $idx (tag unchanged)"
	echo "$out" >>"$RF/pin-output.log"
	assert_secret_nowhere "$c" "$RF/pin-output.log"
	reg_down
}

t_registry_identity_token_and_creds_store_helper() {
	local c=$TMP/store.toml out a
	reg_up || return
	a=$(regfix push "$RF" sandrun/s latest) || { fail "cannot push"; reg_down; return; }
	printf '[[image]]\ntoolchain_id = "s"\nbase = "%s/sandrun/s:latest"\n' "$REGB" >"$c"
	# An identity token (docker login's OAuth refresh token) from auths.
	printf '{"auths":{"%s":{"identitytoken":"%s"}}}' "$REGB" "$REG_IDTOKEN" >"$RF/dc/config.json"
	out=$(rsr pin --catalogue "$c" --all 2>&1)
	assert_eq "identity token: exit" 0 "$?"
	assert_eq "identity token: digest" "$a" "$(digest_of "$c" s)"
	assert_contains "token server got a refresh-token POST" "$(cat "$RF/tokenserver.log")" "token POST user=sruser"
	# The credsStore helper, with a Basic registry and a Bearer one.
	write_helper srstore
	helper_answers "$REGA" "$REG_USER" "$REG_PASS"
	helper_answers "$REGB" "$REG_USER" "$REG_PASS"
	printf '{"credsStore":"srstore","auths":{"%s":{}}}' "$REGA" >"$RF/dc/config.json"
	printf '[[image]]\ntoolchain_id = "s"\nbase = "%s/sandrun/s:latest"\n\n[[image]]\ntoolchain_id = "t"\nbase = "%s/sandrun/s:latest"\n' \
		"$REGB" "$REGA" >"$c"
	out=$(rsr pin --catalogue "$c" --all 2>&1)
	assert_eq "credsStore: exit" 0 "$?"
	assert_eq "credsStore: Bearer registry" "$a" "$(digest_of "$c" s)"
	assert_eq "credsStore: Basic registry" "$a" "$(digest_of "$c" t)"
	assert_eq "the helper's only argument" "argv: get" "$(grep argv "$RF/helper-srstore.log" | sort -u)"
	assert_contains "server URL on stdin" "$(cat "$RF/helper-srstore.log")" "stdin: $REGB"
	echo "$out" >"$RF/out.log"
	assert_secret_nowhere "$c" "$RF/out.log"
	reg_down
}

t_registry_cred_helpers_entry_wins_over_auths() {
	local c=$TMP/helpers.toml out a
	reg_up || return
	a=$(regfix push "$RF" sandrun/h latest) || { fail "cannot push"; reg_down; return; }
	write_helper srper
	helper_answers "$REGA" "$REG_USER" "$REG_PASS"
	# auths holds a wrong password: the credHelpers entry must be the one used.
	printf '{"credHelpers":{"%s":"srper"},"auths":{"%s":{"auth":"%s"}}}' "$REGA" "$REGA" \
		"$(b64auth "$REG_USER" wrong-password)" >"$RF/dc/config.json"
	printf '[[image]]\ntoolchain_id = "h"\nbase = "%s/sandrun/h:latest"\n' "$REGA" >"$c"
	out=$(rsr pin --catalogue "$c" --all 2>&1)
	assert_eq "exit code" 0 "$?"
	assert_eq "digest" "$a" "$(digest_of "$c" h)"
	assert_contains "helper asked for the registry" "$(cat "$RF/helper-srper.log")" "stdin: $REGA"
	echo "$out" >"$RF/out.log"
	assert_secret_nowhere "$c" "$RF/out.log"
	reg_down
}

t_registry_wrong_password_names_registry_others_pinned() {
	local c=$TMP/wrong.toml out rc bad=wrong-$RANDOM-secret
	reg_up || return
	regfix push "$RF" sandrun/w latest >/dev/null || { fail "cannot push"; reg_down; return; }
	printf '{"auths":{"%s":{"auth":"%s"},"%s":{"auth":"%s"}}}' "$REGA" "$(b64auth "$REG_USER" "$bad")" \
		"$REGB" "$(b64auth "$REG_USER" "$bad")" >"$RF/dc/config.json"
	printf '[[image]]\ntoolchain_id = "basic"\nbase = "%s/sandrun/w:latest"\n\n[[image]]\ntoolchain_id = "bearer"\nbase = "%s/sandrun/w:latest"\n\n[[image]]\ntoolchain_id = "public"\nbase = "%s/sandrun/busybox:latest"\n' \
		"$REGA" "$REGB" "$REG" >"$c"
	out=$(rsr pin --catalogue "$c" --all 2>&1)
	rc=$?
	assert_eq "exit code" 1 "$rc"
	assert_contains "Basic failure names the registry" "$out" "basic: error: registry $REGA: authentication failed"
	assert_contains "Bearer failure names the registry" "$out" "bearer: error: registry $REGB: authentication failed"
	assert_contains "says whose credentials" "$out" "user '$REG_USER' (credentials from auths)"
	assert_eq "the other entry pinned" "$(jq -r '.[] | select(.toolchain_id == "busybox") | .digest' \
		<<<"$("$SANDRUN" list --catalogue "$CAT" --format json)")" "$(digest_of "$c" public)"
	assert_not_contains "wrong password not printed" "$out" "$bad"
	assert_not_contains "nor its base64" "$out" "$(b64auth "$REG_USER" "$bad")"
	grep -qrF "$bad" "$RF"/*.log "$c" && fail "the wrong password appears in a log"
	reg_down
}

t_registry_dry_run_then_verify_remote_drift() {
	local c=$TMP/drift.toml before=$TMP/drift.before out rc d1 d2
	reg_up || return
	d1=$(regfix push "$RF" sandrun/d latest) || { fail "cannot push"; reg_down; return; }
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGA" "$(b64auth "$REG_USER" "$REG_PASS")" >"$RF/dc/config.json"
	printf '[[image]]\ntoolchain_id = "d"\nbase = "%s/sandrun/d:latest"\ndigest = "%s"\n' "$REGA" "$d1" >"$c"
	out=$(rsr verify --catalogue "$c" --remote 2>&1)
	assert_eq "verify --remote clean" 0 "$?"
	d2=$(regfix push "$RF" sandrun/d latest) || { fail "cannot push"; reg_down; return; }
	out=$(rsr verify --catalogue "$c" --remote 2>&1)
	assert_eq "verify --remote on drift" 1 "$?"
	assert_contains "drift line" "$out" "d: drift: pinned $d1, tag now $d2"
	cp "$c" "$before"
	out=$(rsr pin --catalogue "$c" --all --dry-run 2>&1)
	rc=$?
	assert_eq "dry run exit" 0 "$rc"
	assert_contains "dry run prints old -> new" "$out" "d: $d1 -> $d2"
	assert_contains "dry run says nothing written" "$out" "dry run: 1 entry would change"
	cmp -s "$before" "$c" || fail "--dry-run changed the catalogue"
	out=$(rsr pin --catalogue "$c" --all 2>&1)
	assert_eq "pin exit" 0 "$?"
	assert_eq "re-pinned" "$d2" "$(digest_of "$c" d)"
	rsr verify --catalogue "$c" --remote >/dev/null 2>&1
	assert_eq "verify --remote after pin" 0 "$?"
	assert_manifests_only
	reg_down
}

t_registry_429_retried_503_bounded() {
	local c=$TMP/flaky.toml out rc
	reg_up || return
	printf '[[image]]\ntoolchain_id = "once"\nbase = "%s/flaky/once:latest"\n\n[[image]]\ntoolchain_id = "always"\nbase = "%s/flaky/always:latest"\n' \
		"$FLAKY" "$FLAKY" >"$c"
	out=$(rsr pin --catalogue "$c" --all 2>&1)
	rc=$?
	assert_eq "exit code (one entry never answers)" 1 "$rc"
	assert_contains "the 429 entry pinned after Retry-After" "$out" "once: (none) -> sha256:"
	assert_contains "the 503 entry gives up" "$out" "always: error: registry $FLAKY: HTTP 503"
	assert_eq "429 then the answer" 2 "$(grep -c 'flaky/once' "$RF/flaky.log")"
	assert_eq "503: bounded attempts" 4 "$(grep -c 'flaky/always' "$RF/flaky.log")"
	reg_down
}

t_registry_unknown_tag_and_loopback_without_ca() {
	local c=$TMP/unknown.toml out a
	reg_up || return
	a=$(regfix push "$RF" sandrun/k latest) || { fail "cannot push"; reg_down; return; }
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGA" "$(b64auth "$REG_USER" "$REG_PASS")" >"$RF/dc/config.json"
	printf '[[image]]\ntoolchain_id = "u"\nbase = "%s/sandrun/nope:latest"\n\n[[image]]\ntoolchain_id = "k"\nbase = "%s/sandrun/k:latest"\n' "$REGA" "$REGA" >"$c"
	out=$(rsr pin --catalogue "$c" --all 2>&1)
	assert_eq "exit code" 1 "$?"
	assert_contains "404 named" "$out" "registry $REGA has no manifest 'sandrun/nope:latest'"
	assert_eq "the other entry pinned" "$a" "$(digest_of "$c" k)"
	# Without the test CA a loopback registry is what the engine calls
	# insecure: TLS unverified, said once, and no fall-back to plain HTTP.
	sed -i '/^digest = /d' "$c"
	out=$(DOCKER_CONFIG=$RF/dc SANDRUN_CERTS_D=$RF/empty DOCKER_HOST=unix://$RF/none "$SANDRUN" pin --catalogue "$c" k 2>&1)
	assert_eq "no CA: exit" 0 "$?"
	assert_contains "no CA: said" "$out" "registry $REGA: its TLS certificate does not verify"
	assert_eq "no CA: pinned" "$a" "$(digest_of "$c" k)"
	reg_down
}

# The list digest and a platform's from one resolution agree with what the
# docker CLI says about the same index (on the plain loopback registry).
t_registry_index_agrees_with_docker_manifest_inspect() {
	local c=$TMP/idx.toml out idx amd arm ref=$REG/sandrun/regtest-multi:latest inspected
	docker_only "docker manifest inspect is the docker CLI's" && return
	mkdir -p "$TMP/rf-idx"
	read -r idx amd arm < <(regfix push "$TMP/rf-idx" sandrun/regtest-multi latest --index --plain "$REG") ||
		{ fail "cannot push"; return; }
	inspected=$(docker manifest inspect --insecure "$ref") || { fail "docker manifest inspect failed"; return; }
	printf '[[image]]\ntoolchain_id = "m"\nbase = "%s"\nplatform = "linux/arm64"\n\n[[image]]\ntoolchain_id = "a"\nbase = "%s"\nplatform = "linux/amd64"\n' \
		"$ref" "$ref" >"$c"
	out=$(DOCKER_HOST=unix://$TMP/no-engine.sock "$SANDRUN" pin --catalogue "$c" --all 2>&1)
	assert_eq "exit code" 0 "$?"
	assert_eq "list digest" "$idx" "$(digest_of "$c" m)"
	assert_eq "arm64 as docker manifest inspect says" \
		"$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' <<<"$inspected")" \
		"$(digest_of "$c" m platform_digest)"
	assert_eq "amd64 as docker manifest inspect says" \
		"$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' <<<"$inspected")" \
		"$(digest_of "$c" a platform_digest)"
	assert_eq "amd64 as uploaded" "$amd" "$(digest_of "$c" a platform_digest)"
	assert_eq "list digest is the sha256 of the index docker reads" "$idx" \
		"sha256:$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/sandrun/regtest-multi/manifests/latest" | sha256sum | cut -d' ' -f1)"
}
