#!/usr/bin/env bash
# Embedding throughput, one run, side by side on the same 2048 sentences (int8 all-MiniLM-L6-v2):
#   (a) ONNX Runtime in-process, batches of 32, length-sorted: the ceiling
#   (b) inference-service over HTTP, CONNECTIONS concurrent clients, one sentence per request (cache off)
#   (c) langchain4j embedAll in-process, 32 per call
#
#   deploy/bench/inference/bench.sh
#
# Needs wrk (Debian: apt-get install wrk) and a built inference-service (./mvnw -pl inference-service -am package
# -DskipTests). Standalone: no platform needed (the cache is off, nothing else is called). Env: DURATION (20),
# CONNECTIONS (64).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../.. && pwd)
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-64}
PORT=18982
command -v wrk >/dev/null || { echo "bench: needs wrk" >&2; exit 1; }
APP="$ROOT/inference-service/target/quarkus-app/quarkus-run.jar"
[ -f "$APP" ] || { echo "bench: build first: ./mvnw -pl inference-service -am package -DskipTests" >&2; exit 1; }

WORK=$(mktemp -d)
cleanup() {
  [ -n "${SERVICE_PID:-}" ] && kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$ROOT" && ./mvnw -q -B dependency:build-classpath -pl inference-service -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt" >/dev/null)
CP="$ROOT/inference-service/target/classes:$(cat "$WORK/cp.txt")"
java -cp "$CP" InferenceBench.java sentences "$WORK/sentences.txt"

echo "# $(date -u +%FT%TZ) $(nproc) cores, duration ${DURATION}s, $CONNECTIONS connections"
A=$(java -cp "$CP" InferenceBench.java raw "$WORK/sentences.txt" "$DURATION" 2>/dev/null | grep embeddings)
echo "$A"

# every /v1 call needs a verified token: the service trusts the tests' key here, and the bench signs with it. No
# Redis or PostgreSQL runs here, so each request's deny-list, account-status and budget checks fail fast (refused
# connections) and it goes on as the failure behaviour says.
TOKEN=$(java -cp "$CP" InferenceBench.java token "$ROOT/inference-service/src/test/resources/test-signing-key.pem")
export TOKEN
java -Xmx1g -Dquarkus.http.port=$PORT -Dquarkus.http.host=127.0.0.1 -Dmeridian.inference.cache.enabled=false \
  -Dmp.jwt.verify.publickey.location="file:$ROOT/inference-service/src/test/resources/test-jwks.json" \
  -jar "$APP" > "$WORK/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 240); do
  # Models are warm when the readiness check says so (infrastructure checks may be DOWN: none is used here).
  curl -sS "http://127.0.0.1:$PORT/q/health/ready" 2>/dev/null | grep -Eq '"all-minilm-l6-v2:int8": *"ready"' && break
  sleep 0.5
done
SENTENCES="$WORK/sentences.txt" wrk -t1 -c"$CONNECTIONS" -d10s -s embed.lua "http://127.0.0.1:$PORT" >/dev/null
SENTENCES="$WORK/sentences.txt" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s embed.lua \
  "http://127.0.0.1:$PORT" > "$WORK/wrk.txt"
RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
P50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.txt")
P99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
ERRORS=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk.txt" || true)
printf "%-40s %8.1f embeddings/s  p50 %8s  p99 %8s  (per request of 1) %s\n" \
  "b inference-service, $CONNECTIONS clients" "$RPS" "$P50" "$P99" "$ERRORS"
kill "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true; SERVICE_PID=

C=$(java -cp "$CP" InferenceBench.java langchain4j "$WORK/sentences.txt" "$DURATION" 2>/dev/null | grep embeddings)
echo "$C"
rate() { echo "$1" | grep -oE '[0-9.]+ embeddings/s' | cut -d' ' -f1; }
awk -v a="$(rate "$A")" -v b="$RPS" -v c="$(rate "$C")" 'BEGIN { printf "ratios: b/a %.2f  b/c %.2f\n", b / a, b / c }'
