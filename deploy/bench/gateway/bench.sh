#!/usr/bin/env bash
# Gateway overhead, one run, side by side (wrk, same machine):
#   (a) the upstream directly (nginx serving a small JSON body)
#   (b) nginx as a plain reverse proxy in front of it
#   (c) the gateway, route without policies (public, no rate limit)
#   (d) the gateway, route with JWT verification + Redis deny-list + Redis rate limit
#   (c0) as (c) with tracing off (quarkus.otel.sdk.disabled): what the OpenTelemetry instrumentation costs
#   (v) a plain Vert.x reverse proxy (BareVertxProxy.java, on the gateway's own jars): the floor for this stack
#   (s) Spring Cloud Gateway (scg/, Boot 4.0.7 + Cloud 2025.1.4) with (d)'s policies: JWT against user-service's JWKS,
#       RequestRateLimiter with RedisRateLimiter keyed by the token's subject, 1% of traces to Zipkin; (s1) with one
#       reactor-netty I/O worker like the others' one event loop, (s) with its default (one per core)
#   (a/2), (d/2): the upstream directly and (d) at about half (d)'s maximum rate, for the latency the gateway adds
#
#   ./platform up --detach && deploy/bench/gateway/bench.sh
#
# Every row also prints the CPU time its server spent per request (utime + stime from /proc over the measured run,
# divided by the requests wrk counted), and for rows that call Redis, Redis' CPU per request: on a shared machine this
# moves less than req/s. The origin runs in an nginx of its own, so (b)'s figure is the proxy alone.
# Needs wrk and nginx (Debian: apt-get install wrk nginx-light) and Maven for scg/ (built on the first run). The platform provides user-service (JWKS, a token)
# and Redis; gateway instances with bench routes run on ports 18903, 18907 and 18908, their access logs off (as nginx's here).
# Env: DURATION (15s), CONNECTIONS (16), GATEWAY_JAR (another build of the gateway, to compare two versions),
# EVENT_LOOPS (1): event loops of the gateway and the plain Vert.x proxy; nginx runs one worker process.
# WARMUP (10s): load rounds before each measured run until two in a row are no more than 5% faster than the best
# before, so the JVMs run JIT-compiled code as nginx runs compiled code.
# The gateway traces every request (OpenTelemetry on) and keeps TRACE_SAMPLE_RATIO (0.01) of them, sent to the
# platform's Zipkin (ZIPKIN_URL); 1.0 sends every span of every request.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../.. && pwd)
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-16}
EVENT_LOOPS=${EVENT_LOOPS:-1}
WARMUP=${WARMUP:-10s}
TRACE_SAMPLE_RATIO=${TRACE_SAMPLE_RATIO:-0.01}
ZIPKIN=${ZIPKIN_URL:-http://127.0.0.1:19411}
USERS=${USER_SERVICE_URL:-http://127.0.0.1:8081}
REDIS=${REDIS_URL:-redis://127.0.0.1:16379}
for tool in wrk nginx; do command -v $tool >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }; done
curl -fsS "$USERS/q/health/ready" >/dev/null || { echo "bench: start the platform first (./platform up --detach)" >&2; exit 1; }

WORK=$(mktemp -d)
cleanup() {
  for pid in "$WORK"/nginx-*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
  for pid in ${SCG_PIDS:-}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  for pid in ${GATEWAY_PID:-} ${OPEN_GATEWAY_PID:-} ${UNTRACED_GATEWAY_PID:-}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [ -n "${VERTX_PID:-}" ] && kill "$VERTX_PID" 2>/dev/null && wait "$VERTX_PID" 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

nginx_conf() { # name, server block
  cat > "$WORK/nginx-$1.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx-$1.pid;
error_log $WORK/error-$1.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  $2
}
NGINX
  nginx -c "$WORK/nginx-$1.conf" -p "$WORK"
}
nginx_conf origin 'server { listen 127.0.0.1:18901; location / { default_type application/json; return 200 "{\"ok\":true,\"from\":\"origin\"}"; } }'
nginx_conf proxy 'upstream origin { server 127.0.0.1:18901; keepalive 64; }
  server { listen 127.0.0.1:18902; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }'

SCG_JAR=scg/target/scg-bench-0.1.0-SNAPSHOT.jar
[ -f "$SCG_JAR" ] || (cd scg && "$ROOT/mvnw" -B -q package -DskipTests)
for port_workers in 18905:1 18906:default; do
  port=${port_workers%%:*} workers=${port_workers##*:}
  java -Xmx512m $([ "$workers" = default ] || echo "-Dreactor.netty.ioWorkerCount=$workers") -jar "$SCG_JAR" \
    --server.port="$port" --spring.data.redis.url="$REDIS" --ORIGIN=http://127.0.0.1:18901 \
    --JWKS_URL="$USERS/.well-known/jwks.json" --ZIPKIN_URL="$ZIPKIN" --TRACE_SAMPLE_RATIO="$TRACE_SAMPLE_RATIO" \
    > "$WORK/scg-$port.log" 2>&1 &
  SCG_PIDS="${SCG_PIDS:-} $!"
done

GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-service/target/quarkus-app/quarkus-run.jar}
java -Xmx512m -Dloops="$EVENT_LOOPS" -cp "$(dirname "$GATEWAY_JAR")/lib/main/*" BareVertxProxy.java 18904 18901 > "$WORK/vertx.log" 2>&1 &
VERTX_PID=$!
start_gateway() { # port, extra properties...
  local port=$1; shift
  MERIDIAN_OTEL_DISABLED=false MERIDIAN_TRACING_EXPORTER=zipkin MERIDIAN_ZIPKIN_ENDPOINT="$ZIPKIN/api/v2/spans" \
  MERIDIAN_TRACE_SAMPLE_RATIO="$TRACE_SAMPLE_RATIO" \
  java -Xmx512m -Dquarkus.vertx.event-loops-pool-size="$EVENT_LOOPS" -Dquarkus.http.port="$port" -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.redis.hosts="$REDIS" \
    -Dmeridian.gateway.jwt.jwks-url="$USERS/.well-known/jwks.json" -Dmeridian.gateway.jwt.token-url="$USERS/v1/auth/token" \
    -Dquarkus.stork.bench.service-discovery.type=static \
    -Dquarkus.stork.bench.service-discovery.address-list=127.0.0.1:18901 \
    -Dmeridian.gateway.routes.benchopen.path=/bench/open -Dmeridian.gateway.routes.benchopen.upstream=bench \
    -Dmeridian.gateway.routes.benchopen.auth=public \
    -Dmeridian.gateway.routes.benchauth.path=/bench/auth -Dmeridian.gateway.routes.benchauth.upstream=bench \
    -Dmeridian.gateway.rate-limits.policies.free.limits.second.rate=1000000 \
    -Dmeridian.gateway.rate-limits.policies.free.limits.second.burst=1000000 \
    -Dmeridian.gateway.rate-limits.policies.free.limits.day.rate=1000000000 \
    -Dquarkus.log.category.\"dev.meridian.gateway.access\".level=WARN \
    "$@" -jar "$GATEWAY_JAR" > "$WORK/gateway-$port.log" 2>&1 &
}
# (d) on 18903; (c) on 18907 with rate limiting off (a public route is always limited per address when it is on),
# (c0) on 18908 also without tracing
start_gateway 18903
GATEWAY_PID=$!
start_gateway 18907 -Dmeridian.gateway.rate-limits.enabled=false
OPEN_GATEWAY_PID=$!
start_gateway 18908 -Dmeridian.gateway.rate-limits.enabled=false -Dquarkus.otel.sdk.disabled=true
UNTRACED_GATEWAY_PID=$!
for port in 18903 18907 18908; do
  for _ in $(seq 1 120); do curl -fsS http://127.0.0.1:$port/q/health/ready >/dev/null 2>&1 && break; sleep 0.5; done
done
curl -fsS -o /dev/null http://127.0.0.1:18904/bench/open || { echo "bench: the plain Vert.x proxy is not up" >&2; cat "$WORK/vertx.log" >&2; exit 1; }
for port in 18905 18906; do
  for _ in $(seq 1 120); do curl -fsS -o /dev/null http://127.0.0.1:$port/bench/open 2>/dev/null && break; sleep 0.5; done
  curl -fsS -o /dev/null http://127.0.0.1:$port/bench/open || { echo "bench: Spring Cloud Gateway on $port is not up" >&2; cat "$WORK/scg-$port.log" >&2; exit 1; }
done

EMAIL="gw-bench-$(date +%s%N)@example.com"
curl -fsS -o /dev/null -X POST "$USERS/v1/users" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"benchmark password 1\",\"displayName\":\"Bench\"}"
TOKEN=$(curl -fsS -X POST "$USERS/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"benchmark password 1\"}" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18903/bench/auth \
  || { echo "bench: the gateway refused the bench token" >&2; tail -20 "$WORK/gateway-18903.log" >&2; exit 1; }
for port in 18905 18906; do
  curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$port/bench/auth \
    || { echo "bench: Spring Cloud Gateway refused the bench token" >&2; tail -20 "$WORK/scg-$port.log" >&2; exit 1; }
done

pid_on() { ss -Hltnp "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }
NGINX_ORIGIN=$(cat "$WORK/nginx-origin.pid"); NGINX_PROXY=$(cat "$WORK/nginx-proxy.pid")
# nginx answers in its worker; the master is idle but counted too
NGINX_ORIGIN="$NGINX_ORIGIN $(pgrep -P "$NGINX_ORIGIN" | tr '\n' ' ')"
NGINX_PROXY="$NGINX_PROXY $(pgrep -P "$NGINX_PROXY" | tr '\n' ' ')"
REDIS_PID=$(pid_on "${REDIS##*:}")
[ -n "$REDIS_PID" ] || { echo "bench: no process listens on Redis' port ${REDIS##*:}" >&2; exit 1; }
set -- $SCG_PIDS; SCG1_PID=$1; SCG_PID=$2

ticks() { # CPU ticks (user + system) of the processes given, all threads
  local total=0 pid
  for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo $total
}
warm() { # url, extra wrk args: WARMUP-long rounds until two in a row beat the best before by less than 5% (at most
  # 15); the JVMs reach compiled code at different speeds (Spring Cloud Gateway's C2 compiles for about 90 s here)
  local url=$1 best=0 flat=0 rps round; shift
  for round in $(seq 1 15); do
    rps=$(wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" | awk '/Requests\/sec/ {printf "%d", $2}')
    if [ "$rps" -lt $((best * 105 / 100)) ]; then flat=$((flat + 1)); else flat=0; fi
    [ "$rps" -gt "$best" ] && best=$rps
    [ "$flat" -ge 2 ] && break
  done
}
run() { # label, "server pids", "redis pid" (or ""), url, extra wrk args...
  local label=$1 pids=$2 redis=$3 url=$4; shift 4
  warm "$url" "$@"
  local before redis_before
  before=$(ticks $pids); redis_before=$([ -n "$redis" ] && ticks $redis || echo 0)
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" > "$WORK/wrk.out"
  local cpu redis_cpu
  cpu=$(( $(ticks $pids) - before )); redis_cpu=$([ -n "$redis" ] && echo $(( $(ticks $redis) - redis_before )) || echo)
  awk -v label="$label" -v out="$WORK/rps" -v cpu="$cpu" -v rcpu="$redis_cpu" -v hz="$(getconf CLK_TCK)" '
    /requests in/ {n=$1} /Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$5}
    END {us = cpu * 1e6 / hz / n; rus = (rcpu == "" ? "" : sprintf(" + redis %3.0f us", rcpu * 1e6 / hz / n));
         printf "%-44s %10s req/s  p50 %8s  p99 %8s  cpu %4.0f us/req%s%s\n", label, rps, p50, p99, us, rus,
                (bad ? "  NON-2XX " bad : "");
         id = substr(label, 2, index(label, ")") - 2);
         printf "%s %s\n", id, rps >> out; printf "cpu_%s %.1f\n", id, us >> out}' "$WORK/wrk.out"
}
ratio() { awk -v a="$1" -v b="$2" '$1 == a {x=$2} $1 == b {y=$2} END {printf "%s/%s %.2f  ", a, b, x / y}' "$WORK/rps"; }
cpu_ratio() { awk -v a="cpu_$1" -v b="cpu_$2" '$1 == a {x=$2} $1 == b {y=$2} END {printf "cpu %s/%s %.2f  ", substr(a, 5), substr(b, 5), x / y}' "$WORK/rps"; }

mkdir -p ../results
{
  echo "== $(date -u +%FT%TZ) gateway, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION after $WARMUP warm-up rounds until steady, $EVENT_LOOPS event loop(s), gateway trace sampling $TRACE_SAMPLE_RATIO (wrk, nginx and the JVMs share the machine)"
  run "(a) upstream direct (nginx static)" "$NGINX_ORIGIN" "" http://127.0.0.1:18901/bench/open
  run "(b) nginx reverse proxy" "$NGINX_PROXY" "" http://127.0.0.1:18902/bench/open
  run "(v) plain Vert.x proxy, no gateway code" "$VERTX_PID" "" http://127.0.0.1:18904/bench/open
  run "(c) gateway, no policies" "$OPEN_GATEWAY_PID" "" http://127.0.0.1:18907/bench/open
  run "(c0) gateway, no policies, tracing off" "$UNTRACED_GATEWAY_PID" "" http://127.0.0.1:18908/bench/open
  run "(d) gateway, JWT + deny-list + rate limit" "$GATEWAY_PID" "$REDIS_PID" http://127.0.0.1:18903/bench/auth -H "Authorization: Bearer $TOKEN"
  run "(s1) Spring Cloud Gateway, 1 I/O worker" "$SCG1_PID" "$REDIS_PID" http://127.0.0.1:18905/bench/auth -H "Authorization: Bearer $TOKEN"
  run "(s) Spring Cloud Gateway, default workers" "$SCG_PID" "$REDIS_PID" http://127.0.0.1:18906/bench/auth -H "Authorization: Bearer $TOKEN"
  echo "   $(ratio c b)$(ratio d b)$(ratio v b)$(ratio c v)$(ratio d v)$(ratio d s1)$(ratio d s)"
  echo "   $(cpu_ratio c v)$(cpu_ratio c0 v)$(cpu_ratio d v)$(cpu_ratio s1 d)$(cpu_ratio s d)"
  # half load: each connection waits between requests so that (d) gets about half its maximum rate; the upstream
  # directly at the same pace gives the latency the gateway adds. The wait is drawn from 0..2 x PACE ms so that the
  # connections do not fall into step and arrive all at once.
  PACE=$(awk '$1 == "d" {printf "%d", 1000 * '"$CONNECTIONS"' / ($2 / 2) + 0.5}' "$WORK/rps")
  echo "function delay() return math.random(0, 2 * $PACE) end" > "$WORK/pace.lua"
  run "(a/2) upstream direct, ${PACE} ms mean pause" "$NGINX_ORIGIN" "" http://127.0.0.1:18901/bench/open -s "$WORK/pace.lua"
  run "(d/2) gateway (d), ${PACE} ms mean pause" "$GATEWAY_PID" "$REDIS_PID" http://127.0.0.1:18903/bench/auth -s "$WORK/pace.lua" \
    -H "Authorization: Bearer $TOKEN"
} | tee -a ../results/gateway.txt
