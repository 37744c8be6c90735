#!/bin/sh
# The code under test: serves /public/<name> with no check for "..".
cat "/sandrun/stubs/docroot/public/$SANDRUN_PAYLOAD" 2>&1
exit 0
