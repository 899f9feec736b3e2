#!/bin/sh
# fakecc.sh - a stand-in compiler for launcher tests. Answers --version like
# a compiler that is not clang, appends its own path and then each argument
# on a line of its own to $FAKECC_LOG, and exits with $FAKECC_STATUS.
if [ "$1" = --version ]; then
  echo "fakecc (not clang) 1.0"
  exit 0
fi
printf '%s\n' "$0" "$@" >> "${FAKECC_LOG:-/dev/null}"
echo "fakecc ran" >&2
exit "${FAKECC_STATUS:-0}"
