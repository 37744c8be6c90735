#!/bin/sh
# The code under test: a reachability check that splices user input into a
# shell command and throws the output away (blind injection).
sh -c "echo checking $SANDRUN_PAYLOAD" >/dev/null 2>&1
echo "checked"
