#!/bin/sh
# The code under test: SET session:<user> guest, as an inline command.
hostport=${SANDRUN_STUB_CACHE_URL#redis://}
host=${hostport%:*}
port=${hostport##*:}
printf 'SET session:%s guest\r\nQUIT\r\n' "$SANDRUN_PAYLOAD" | timeout 5 nc "$host" "$port"
exit 0
