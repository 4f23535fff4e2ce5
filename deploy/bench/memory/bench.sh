#!/usr/bin/env bash
# Each service's resident memory (RSS) after start and over DURATION seconds of a light mixed load through the
# gateway (embeddings of fresh texts, account reads, the model list; 8 users, about 130 requests a second), sampled
# every SAMPLE seconds: does it flatten?
#
#   ./platform up --detach && deploy/bench/memory/bench.sh
#
# Needs wrk (Debian: apt-get install wrk). Env: DURATION (600), SAMPLE (60), MERIDIAN_PLATFORM_DIR (.platform),
# GATEWAY_PORT (8080), USER_PORT (8081).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../.. && pwd)
DURATION=${DURATION:-600}
SAMPLE=${SAMPLE:-60}
PLATFORM_DIR=${MERIDIAN_PLATFORM_DIR:-$ROOT/.platform}
GATEWAY=http://127.0.0.1:${GATEWAY_PORT:-8080}
USERS=http://127.0.0.1:${USER_PORT:-8081}
command -v wrk >/dev/null || { echo "bench: needs wrk" >&2; exit 1; }
SERVICES="gateway-service user-service inference-service"
declare -A PID
while IFS=$'\t' read -r name _ _ _ pid _; do PID[$name]=$pid; done < "$PLATFORM_DIR/run/components.tsv"
for s in $SERVICES; do [ -n "${PID[$s]:-}" ] || { echo "bench: $s is not running (./platform up --detach)" >&2; exit 1; }; done
rss() { awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

# accounts made at user-service itself: the gateway limits sign-ups per client IP
TOKENS=""
for i in $(seq 1 8); do
  EMAIL="memory-$(date +%s%N)-$i@example.com"
  curl -fsS -o /dev/null -X POST "$USERS/v1/users" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"benchmark password 1\",\"displayName\":\"Memory\"}"
  TOKEN=$(curl -fsS -X POST "$USERS/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"benchmark password 1\"}" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  TOKENS="$TOKENS${TOKENS:+,}$TOKEN"
done
export TOKENS

echo "# $(date -u +%FT%TZ) $(nproc) cores, ${DURATION}s of mixed load through the gateway, RSS in MB every ${SAMPLE}s"
printf "%-8s" "seconds"; for s in $SERVICES; do printf " %18s" "$s"; done; echo
sample() { printf "%-8s" "$1"; for s in $SERVICES; do printf " %18s" "$(rss "${PID[$s]}")"; done; echo; }
sample 0
WRK_OUT=$(mktemp)
wrk -t1 -c8 -d"${DURATION}s" -s mixed.lua "$GATEWAY" > "$WRK_OUT" 2>&1 &
WRK_PID=$!
trap 'kill $WRK_PID 2>/dev/null || true; rm -f "$WRK_OUT"' EXIT
for elapsed in $(seq "$SAMPLE" "$SAMPLE" "$DURATION"); do
  sleep "$SAMPLE" # the sampling interval
  sample "$elapsed"
done
wait $WRK_PID || true
grep -E "Requests/sec|Non-2xx|Socket errors|requests in" "$WRK_OUT" | sed 's/^ */# wrk: /'
# a descriptor left open per request shows here long before the process runs out of them
printf "%-8s" "fds"; for s in $SERVICES; do printf " %18s" "$(ls "/proc/${PID[$s]}/fd" | wc -l)"; done; echo
