#!/usr/bin/env bash
# Per-hash cost of Argon2id (native vs pure Java) and bcrypt, side by side in one JVM. Needs a built user-service.
set -euo pipefail
cd "$(dirname "$0")/../../.."
./mvnw -q -B dependency:build-classpath -pl user-service -Dmdep.outputFile=/tmp/meridian-user-cp.txt >/dev/null
java -cp "$(cat /tmp/meridian-user-cp.txt)" deploy/bench/user-service/HashingBench.java | tee -a deploy/bench/results/user-service-hashing.txt
