#!/bin/sh
# The attacker side: put the internal service's address into the payload.
url=$(printf '%s' "$SANDRUN_PAYLOAD" | sed "s|@INTERNAL@|${SANDRUN_STUB_INTERNAL_URL%/}|")
sh /work/fetch-avatar.sh "$url"
