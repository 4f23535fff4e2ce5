#!/usr/bin/env bash
# user-service benchmark: login (password grant, one Argon2id verification each) and GET /v1/users/me (JWT
# verification + Redis deny-list check + one PostgreSQL read), measured side by side in one run.
#
#   ./platform up --detach && deploy/bench/user-service/bench.sh
#
# Needs wrk (Debian: apt-get install wrk). Env: USER_SERVICE_URL (http://127.0.0.1:8081), DURATION (20s),
# CONNECTIONS (16). Results are appended to deploy/bench/results/user-service.txt.
set -euo pipefail
cd "$(dirname "$0")"
URL=${USER_SERVICE_URL:-http://127.0.0.1:8081}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16}
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
curl -fsS "$URL/q/health/ready" >/dev/null || { echo "bench: user-service not ready at $URL (./platform up --detach)" >&2; exit 1; }

export BENCH_EMAIL="bench-$(date +%s%N)@example.com"
export BENCH_PASSWORD="benchmark password 1"
curl -fsS -o /dev/null -X POST "$URL/v1/users" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\",\"displayName\":\"Bench\"}"
TOKEN=$(curl -fsS -X POST "$URL/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || { echo "bench: could not log in" >&2; exit 1; }

mkdir -p ../results
OUT=../results/user-service.txt
{
  echo "== $(date -u +%FT%TZ) user-service, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION (wrk shares the machine)"
  echo "hashing: argon2id m=19456 KiB, t=2, p=1 (the default; MERIDIAN_USERS_PASSWORD_* change it)"
  echo "-- POST /v1/auth/token (password grant)"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s login.lua "$URL/v1/auth/token" | grep -E 'Requests/sec|Latency |99%|50%|non-200'
  echo "-- GET /v1/users/me (bearer token)"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$URL/v1/users/me" \
    | grep -E 'Requests/sec|Latency |99%|50%|Non-2xx'
} | tee -a "$OUT"
