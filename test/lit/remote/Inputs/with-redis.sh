#!/usr/bin/env bash
# with-redis.sh DIR [REDIS-OPTION... --] COMMAND [ARG...]
#
# Runs COMMAND with a private redis-server listening only on the unix
# socket DIR/redis.sock (no TCP port, so tests running in parallel never
# clash), and stops the server when COMMAND ends, however it ends: the EXIT
# trap also runs on failure and on SIGINT/SIGTERM. COMMAND sees
#   OC_REDIS_SOCK  the socket path
#   OC_REDIS_PID   the server's pid (to SIGSTOP or kill it mid-build)
# and the exit status is COMMAND's.
set -u
dir=$1
shift
options=()
if [[ " $* " == *" -- "* ]]; then
  while [[ $1 != -- ]]; do
    options+=("$1")
    shift
  done
  shift
fi
mkdir -p "$dir"
sock=$dir/redis.sock
rm -f "$sock"
redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
  --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
  "${options[@]}" &
pid=$!
stop() {
  kill -CONT "$pid" 2>/dev/null # a paused server cannot die
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
trap stop EXIT
trap 'exit 130' INT TERM HUP

# The socket file appears at bind(), before listen(): wait for an answer.
for _ in $(seq 500); do # up to 5 s
  [[ -S $sock ]] && redis-cli -s "$sock" PING > /dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
if ! redis-cli -s "$sock" PING > /dev/null 2>&1; then
  echo "with-redis.sh: redis-server did not start:" >&2
  cat "$dir/redis.log" >&2
  exit 1
fi
export OC_REDIS_SOCK=$sock OC_REDIS_PID=$pid
"$@"
