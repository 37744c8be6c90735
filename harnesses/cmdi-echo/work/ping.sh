#!/bin/sh
# The vulnerable code under test: user input reaches `sh -c` unquoted.
host="$SANDRUN_PAYLOAD"
sh -c "echo pinging $host"
