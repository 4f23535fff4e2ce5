package dev.meridian.local.infra;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The six-node cluster forms, spreads keys over its masters, survives a killed master and a restart. */
class LocalRedisClusterTest {

    @TempDir
    Path dir;

    @Test
    void formsFailsOverToAReplicaAndRejoinsAfterARestart() throws Exception {
        int[] ports = Ports.freeWithClusterBus(6);
        LocalRedisCluster cluster = new LocalRedisCluster("state", ports, 3, dir.resolve("data"), dir, true,
                LocalRedis.Memory.noEviction("64mb"), Duration.ofSeconds(1));
        cluster.start();
        try {
            assertTrue(cluster.isReady());
            Set<Integer> masters = new HashSet<>();
            for (int i = 0; i < 30; i++) {
                String key = "k" + i;
                int master = cluster.masterPortFor(key);
                masters.add(master);
                RespCall.call(master, "SET", key, "v" + i);
            }
            assertEquals(3, masters.size(), "30 keys should land on all three masters");

            int first = cluster.masterPortFor("k0");
            // acknowledged by a replica before the master dies, as an acknowledged write is
            assertEquals(1L, RespCall.calls(first, List.of(new String[] {"SET", "k0", "v0"},
                    new String[] {"WAIT", "1", "2000"})));
            ProcessHandle.of(cluster.node(first).pid()).orElseThrow().destroyForcibly();
            int promoted = awaitNewMaster(cluster, "k0", first);
            assertNotEquals(first, promoted);
            assertEquals("v0", RespCall.call(promoted, "GET", "k0"), "the replica lost the acknowledged write");
        } finally {
            cluster.close();
        }

        LocalRedisCluster again = new LocalRedisCluster("state", ports, 3, dir.resolve("data"), dir, true,
                LocalRedis.Memory.noEviction("64mb"), Duration.ofSeconds(1));
        again.start();
        try {
            assertEquals("v7", RespCall.call(again.masterPortFor("k7"), "GET", "k7"), "data lost across a restart");
        } finally {
            again.close();
        }
    }

    private static int awaitNewMaster(LocalRedisCluster cluster, String key, int dead) {
        // a node still settling its view of the cluster may not answer: ask again
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> cluster.masterPortFor(key), master -> master != dead);
    }
}
