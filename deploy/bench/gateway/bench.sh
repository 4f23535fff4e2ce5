#!/usr/bin/env bash
# Gateway overhead, one run, side by side (wrk, same machine):
#   (a) the upstream directly (nginx serving a small JSON body)
#   (b) nginx as a plain reverse proxy in front of it
#   (c) the gateway, route without policies (public, no rate limit)
#   (d) the gateway, route with JWT verification + Redis deny-list + Redis rate limit
#   (v) a plain Vert.x reverse proxy (BareVertxProxy.java, on the gateway's own jars): the floor for this stack
#   (a/2), (d/2): the upstream directly and (d) at about half (d)'s maximum rate, for the latency the gateway adds
#
#   ./platform up --detach && deploy/bench/gateway/bench.sh
#
# Needs wrk and nginx (Debian: apt-get install wrk nginx-light). The platform provides user-service (JWKS, a token)
# and Redis; a second gateway instance with bench routes runs on port 18903, its access log off (as nginx's here).
# Env: DURATION (15s), CONNECTIONS (16), GATEWAY_JAR (another build of the gateway, to compare two versions),
# EVENT_LOOPS (1): event loops of the gateway and the plain Vert.x proxy; nginx runs one worker process.
# WARMUP (15s): load before each measured run, so the JVMs run JIT-compiled code as nginx runs compiled code.
# The gateway traces every request (OpenTelemetry on) and keeps TRACE_SAMPLE_RATIO (0.01) of them, sent to the
# platform's Zipkin (ZIPKIN_URL); 1.0 sends every span of every request.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../.. && pwd)
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-16}
EVENT_LOOPS=${EVENT_LOOPS:-1}
WARMUP=${WARMUP:-15s}
TRACE_SAMPLE_RATIO=${TRACE_SAMPLE_RATIO:-0.01}
ZIPKIN=${ZIPKIN_URL:-http://127.0.0.1:19411}
USERS=${USER_SERVICE_URL:-http://127.0.0.1:8081}
REDIS=${REDIS_URL:-redis://127.0.0.1:16379}
for tool in wrk nginx; do command -v $tool >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }; done
curl -fsS "$USERS/q/health/ready" >/dev/null || { echo "bench: start the platform first (./platform up --detach)" >&2; exit 1; }

WORK=$(mktemp -d)
cleanup() {
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  [ -n "${GATEWAY_PID:-}" ] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null || true
  [ -n "${VERTX_PID:-}" ] && kill "$VERTX_PID" 2>/dev/null && wait "$VERTX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  upstream origin { server 127.0.0.1:18901; keepalive 64; }
  server {
    listen 127.0.0.1:18901;
    location / { default_type application/json; return 200 '{"ok":true,"from":"origin"}'; }
  }
  server {
    listen 127.0.0.1:18902;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK"

GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-service/target/quarkus-app/quarkus-run.jar}
java -Xmx512m -Dloops="$EVENT_LOOPS" -cp "$(dirname "$GATEWAY_JAR")/lib/main/*" BareVertxProxy.java 18904 18901 > "$WORK/vertx.log" 2>&1 &
VERTX_PID=$!
MERIDIAN_OTEL_DISABLED=false MERIDIAN_TRACING_EXPORTER=zipkin MERIDIAN_ZIPKIN_ENDPOINT="$ZIPKIN/api/v2/spans" \
MERIDIAN_TRACE_SAMPLE_RATIO="$TRACE_SAMPLE_RATIO" \
java -Xmx512m -Dquarkus.vertx.event-loops-pool-size="$EVENT_LOOPS" -Dquarkus.http.port=18903 -Dquarkus.http.host=127.0.0.1 \
  -Dquarkus.redis.hosts="$REDIS" \
  -Dmeridian.gateway.jwt.jwks-url="$USERS/.well-known/jwks.json" -Dmeridian.gateway.jwt.token-url="$USERS/v1/auth/token" \
  -Dquarkus.stork.bench.service-discovery.type=static \
  -Dquarkus.stork.bench.service-discovery.address-list=127.0.0.1:18901 \
  -Dmeridian.gateway.routes.benchopen.path=/bench/open -Dmeridian.gateway.routes.benchopen.upstream=bench \
  -Dmeridian.gateway.routes.benchopen.auth=public -Dmeridian.gateway.routes.benchopen.rate-limited=false \
  -Dmeridian.gateway.routes.benchauth.path=/bench/auth -Dmeridian.gateway.routes.benchauth.upstream=bench \
  -Dmeridian.gateway.rate-limits.policies.free.limits.second.rate=1000000 \
  -Dmeridian.gateway.rate-limits.policies.free.limits.second.burst=1000000 \
  -Dmeridian.gateway.rate-limits.policies.free.limits.day.rate=1000000000 \
  -Dquarkus.log.category.\"dev.meridian.gateway.access\".level=WARN \
  -jar "$GATEWAY_JAR" > "$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 120); do curl -fsS http://127.0.0.1:18903/q/health/ready >/dev/null 2>&1 && break; sleep 0.5; done
curl -fsS -o /dev/null http://127.0.0.1:18904/bench/open || { echo "bench: the plain Vert.x proxy is not up" >&2; cat "$WORK/vertx.log" >&2; exit 1; }

EMAIL="gw-bench-$(date +%s%N)@example.com"
curl -fsS -o /dev/null -X POST "$USERS/v1/users" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"benchmark password 1\",\"displayName\":\"Bench\"}"
TOKEN=$(curl -fsS -X POST "$USERS/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"benchmark password 1\"}" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18903/bench/auth \
  || { echo "bench: the gateway refused the bench token" >&2; tail -20 "$WORK/gateway.log" >&2; exit 1; }

run() { # label, url, extra wrk args...
  local label=$1 url=$2; shift 2
  # warm-up, then the measured run
  wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" | awk -v label="$label" -v out="$WORK/rps" '
    /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$5}
    END {printf "%-44s %10s req/s  p50 %8s  p99 %8s%s\n", label, rps, p50, p99, (bad ? "  NON-2XX " bad : "");
         printf "%s %s\n", substr(label, 2, index(label, ")") - 2), rps >> out}'
}
ratio() { awk -v a="$1" -v b="$2" '$1 == a {x=$2} $1 == b {y=$2} END {printf "%s/%s %.2f  ", a, b, x / y}' "$WORK/rps"; }

mkdir -p ../results
{
  echo "== $(date -u +%FT%TZ) gateway, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION after $WARMUP, $EVENT_LOOPS event loop(s), gateway trace sampling $TRACE_SAMPLE_RATIO (wrk, nginx and the JVMs share the machine)"
  run "(a) upstream direct (nginx static)" http://127.0.0.1:18901/bench/open
  run "(b) nginx reverse proxy" http://127.0.0.1:18902/bench/open
  run "(v) plain Vert.x proxy, no gateway code" http://127.0.0.1:18904/bench/open
  run "(c) gateway, no policies" http://127.0.0.1:18903/bench/open
  run "(d) gateway, JWT + deny-list + rate limit" http://127.0.0.1:18903/bench/auth -H "Authorization: Bearer $TOKEN"
  echo "   $(ratio c b)$(ratio d b)$(ratio v b)$(ratio c v)$(ratio d v)"
  # half load: each connection waits between requests so that (d) gets about half its maximum rate; the upstream
  # directly at the same pace gives the latency the gateway adds. The wait is drawn from 0..2 x PACE ms so that the
  # connections do not fall into step and arrive all at once.
  PACE=$(awk '$1 == "d" {printf "%d", 1000 * '"$CONNECTIONS"' / ($2 / 2) + 0.5}' "$WORK/rps")
  echo "function delay() return math.random(0, 2 * $PACE) end" > "$WORK/pace.lua"
  run "(a/2) upstream direct, ${PACE} ms mean pause" http://127.0.0.1:18901/bench/open -s "$WORK/pace.lua"
  run "(d/2) gateway (d), ${PACE} ms mean pause" http://127.0.0.1:18903/bench/auth -s "$WORK/pace.lua" \
    -H "Authorization: Bearer $TOKEN"
} | tee -a ../results/gateway.txt
