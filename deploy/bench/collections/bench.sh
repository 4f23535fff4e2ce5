#!/usr/bin/env bash
# Exact collection search latency by size, next to a naive scan. Needs inference-service compiled (./mvnw install
# -DskipTests). Usage: deploy/bench/collections/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
java -Xmx2g -cp inference-service/target/classes deploy/bench/collections/SearchBench.java \
  | tee deploy/bench/results/collections.txt
