#!/bin/sh
# The code under test: fetches the user's avatar URL with no allow-list.
case "$1" in
http://*) timeout 5 wget -qO /tmp/avatar "$1" && echo "fetched $(wc -c </tmp/avatar) bytes" ;;
*) echo "refused" ;;
esac
exit 0
