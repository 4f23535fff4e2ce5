#!/usr/bin/env bash
# Fairness between tenants in the micro-batcher: tenant A keeps three 2048-input requests in flight while tenant B
# sends single inputs; B's latency unloaded and loaded, and the model's mean batch duration, in one run.
#
#   ./platform up --detach && deploy/bench/fairness/bench.sh
#
# Talks to inference-service directly (the gateway's per-user limits would stop A first). Env: SECONDS_EACH (20),
# USERS (http://127.0.0.1:8081), INFERENCE (http://127.0.0.1:8082).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${SECONDS_EACH:-20}
USERS=${USERS:-http://127.0.0.1:8081}
INFERENCE=${INFERENCE:-http://127.0.0.1:8082}
curl -fsS "$INFERENCE/q/health/ready" >/dev/null || { echo "bench: start the platform first (./platform up --detach)" >&2; exit 1; }
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, ${SECONDS_EACH}s per phase"
  java FairnessBench.java "$USERS" "$INFERENCE" "$SECONDS_EACH"
} | tee -a ../results/fairness.txt
