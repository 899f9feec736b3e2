#!/bin/sh
# countcc.sh - a compiler wrapper for direct-mode tests: appends one line
# to $COUNTCC_LOG per run (so a test can prove clang never started), then
# runs clang-22. With $COUNTCC_EDIT set it first appends a comment to that
# file: an edit made while the compile runs.
echo "run $*" >> "${COUNTCC_LOG:-/dev/null}"
if [ -n "$COUNTCC_EDIT" ]; then
  echo "/* edited during the compile */" >> "$COUNTCC_EDIT"
fi
exec clang-22 "$@"
