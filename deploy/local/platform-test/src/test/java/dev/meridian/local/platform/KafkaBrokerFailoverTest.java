package dev.meridian.local.platform;

import dev.meridian.events.EventType;
import dev.meridian.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.meridian.local.platform.LocalPlatform.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka on three brokers (replication factor 3, min.insync.replicas 2), Redis Cluster, and two user-service
 * instances relaying one outbox; one broker killed with SIGKILL while clients keep signing up, renaming themselves (at both instances) and
 * running async jobs: each user's events are in users.v1 once each and in commit order, inference-service learns of
 * every user, every job completes exactly once, and its owner's webhook hears of it exactly once.
 */
class KafkaBrokerFailoverTest {

    private static final int SIGN_UP_CLIENTS = 4;
    private static final int JOB_CLIENTS = 3;

    @TempDir
    Path platformDir;
    private LocalPlatform platform;

    @AfterEach
    void alwaysDown() throws Exception {
        platform.run("down");
    }

    @Test
    void aBrokerKilledUnderSignUpsAndJobsLosesNoEventAndAppliesNoneTwice() throws Exception {
        platform = new LocalPlatform(platformDir);
        platform.reserveKafkaBrokers(3);
        // the job clients' webhooks go to this test's receiver on loopback
        platform.environment.put("MERIDIAN_WEBHOOKS_ALLOWED_NETWORKS", "127.0.0.1/32");
        int[] ports = platform.ports;
        // the whole cluster mode: Redis Cluster too
        LocalPlatform.Result up = platform.run("up", "--detach", "--no-build", "--no-zipkin", "--kafka-brokers=3",
                "--redis-cluster", "--redis-cluster-port=" + platform.freeRedisClusterBase(), "--user-instances=2");
        assertEquals(0, up.exitCode(), up.output());
        Map<String, Long> pids = new HashMap<>();
        for (String line : Files.readAllLines(platformDir.resolve("run/components.tsv"))) {
            String[] fields = line.split("\t");
            pids.put(fields[0], Long.parseLong(fields[4]));
        }
        assertTrue(pids.keySet().containsAll(Set.of("kafka-1", "kafka-2", "kafka-3", "user-service-2", "redis-6",
                "redis-cache-3")), pids.toString());
        int[] userPorts = {ports[5], ports[5] + 10};

        List<String> tokens = new ArrayList<>();
        for (int c = 0; c < JOB_CLIENTS; c++) {
            String credentials = "\"email\":\"jobs-" + c + "@example.com\",\"password\":\"a long enough password\"";
            assertEquals(201, post(ports[5], "/v1/users", "{" + credentials + ",\"displayName\":\"Jobs\"}")
                    .statusCode());
            HttpResponse<String> login = post(ports[5], "/v1/auth/token", "{" + credentials + "}");
            assertEquals(200, login.statusCode(), login.body());
            tokens.add(login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1"));
        }

        // every job client subscribes to its job.completed events (through the gateway)
        Map<String, List<String>> delivered = new ConcurrentHashMap<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hooks/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            delivered.computeIfAbsent(exchange.getRequestURI().getPath(),
                            path -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(exchange.getRequestHeaders().getFirst("webhook-id") + " "
                            + body.replaceAll("(?s).*\"jobId\":\"([^\"]+)\".*", "$1"));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        List<Set<String>> jobsOf = new ArrayList<>();
        for (int c = 0; c < tokens.size(); c++) {
            HttpResponse<String> webhook = platform.send(tokens.get(c), "POST", "/v1/webhooks",
                    "{\"url\":\"http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks/" + c
                            + "\",\"eventTypes\":[\"job.completed\"]}");
            assertEquals(201, webhook.statusCode(), webhook.body());
            jobsOf.add(ConcurrentHashMap.newKeySet());
        }

        Set<String> signedUp = ConcurrentHashMap.newKeySet();
        Set<String> renamedTwice = ConcurrentHashMap.newKeySet();
        Set<String> jobs = ConcurrentHashMap.newKeySet();
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(SIGN_UP_CLIENTS + JOB_CLIENTS);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < SIGN_UP_CLIENTS; c++) {
            int client = c;
            running.add(clients.submit(() -> {
                for (int n = 0; !stop.get(); n++) {
                    // each user's three events written at alternating instances: both relays see them
                    int first = userPorts[(client + n) % 2];
                    int second = userPorts[(client + n + 1) % 2];
                    String credentials = "\"email\":\"signup-" + client + "-" + n
                            + "@example.com\",\"password\":\"a long enough password\"";
                    HttpResponse<String> created = post(first, "/v1/users",
                            "{" + credentials + ",\"displayName\":\"S1\"}");
                    HttpResponse<String> login = created.statusCode() == 201
                            ? post(second, "/v1/auth/token", "{" + credentials + "}") : created;
                    if (login.statusCode() != 200) {
                        refused.incrementAndGet(); // not acknowledged: nothing is promised for it
                        continue;
                    }
                    String id = created.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
                    String token = login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
                    signedUp.add(id);
                    for (int rename = 0; rename < 2; rename++) {
                        HttpResponse<String> renamed = send(rename == 0 ? second : first, token, "PATCH",
                                "/v1/users/me", "{\"displayName\":\"S" + (rename + 2) + "\"}");
                        assertEquals(200, renamed.statusCode(), renamed.body());
                    }
                    renamedTwice.add(id);
                }
                return null;
            }));
        }
        for (int c = 0; c < tokens.size(); c++) {
            String token = tokens.get(c);
            Set<String> mine = jobsOf.get(c);
            running.add(clients.submit(() -> {
                for (int n = 0; !stop.get(); n++) {
                    HttpResponse<String> job = platform.send(token, "POST", "/v1/jobs",
                            "{\"type\":\"embed_batch\",\"inputs\":[\"broker failover " + n + "\",\"second\"]}");
                    if (job.statusCode() != 202) {
                        refused.incrementAndGet();
                        continue;
                    }
                    String id = job.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
                    jobs.add(id);
                    mine.add(id);
                    awaitJobs(Set.of(id), Duration.ofSeconds(60)); // one at a time per client, within its quota
                }
                return null;
            }));
        }
        try {
            awaitCount(signedUp, 30);
            awaitCount(jobs, 6);
            assertTrue(ProcessHandle.of(pids.get("kafka-2")).orElseThrow().destroyForcibly(), "could not kill kafka-2");
            int atKill = signedUp.size() + jobs.size();
            awaitCount(signedUp, signedUp.size() + 30);
            awaitCount(jobs, jobs.size() + 6);
            stop.set(true);
            for (Future<?> client : running) {
                client.get(120, TimeUnit.SECONDS);
            }
            System.out.printf("broker failover: %d sign-ups, %d jobs (%d before the kill), %d refused%n",
                    signedUp.size(), jobs.size(), atKill, refused.get());
        } finally {
            stop.set(true);
            clients.shutdownNow();
        }

        awaitJobs(jobs, Duration.ofSeconds(120));
        try (Connection db = database("meridian_inference"); var query = db.prepareStatement(
                "SELECT j.attempts, (SELECT count(*) FROM outbox o WHERE o.aggregate_id = j.id::text AND"
                        + " o.event_type = ?) FROM jobs j WHERE j.id = ?::uuid")) {
            for (String job : jobs) {
                query.setString(1, EventType.INFERENCE_JOB_COMPLETED.ceType());
                query.setString(2, job);
                try (ResultSet rs = query.executeQuery()) {
                    assertTrue(rs.next(), job);
                    assertEquals(1, rs.getInt(1), "job " + job + " ran more than once");
                    assertEquals(1, rs.getLong(2), "job " + job + " completed more than once");
                }
            }
        }

        // each job's completion reached its owner's webhook exactly once: through the broker's death, a consumer
        // group of two user-service instances and two dispatchers claiming deliveries from one table
        try {
            for (int c = 0; c < jobsOf.size(); c++) {
                String path = "/hooks/" + c;
                Set<String> expected = jobsOf.get(c);
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (System.nanoTime() < deadline && !jobIds(delivered.get(path)).containsAll(expected)) {
                    TimeUnit.MILLISECONDS.sleep(200); // poll interval
                }
                List<String> received = List.copyOf(delivered.getOrDefault(path, List.of()));
                assertEquals(expected, jobIds(received), "job.completed webhooks of client " + c);
                assertEquals(received.size(), received.stream().map(r -> r.split(" ")[0]).distinct().count(),
                        "a webhook was delivered twice: " + received);
            }
        } finally {
            receiver.stop(0);
        }

        // each user's events in users.v1: once each, in the order they were committed (the last renames were
        // committed just before the load stopped: their rows are read once the relay has published every row)
        awaitOutboxPublished(Duration.ofSeconds(60));
        Map<String, List<String>> events = userEvents(ports[2]);
        Set<String> ids = new java.util.HashSet<>();
        for (List<String> ofUser : events.values()) {
            for (String event : ofUser) {
                assertTrue(ids.add(event.substring(event.lastIndexOf(' ') + 1)), "published twice: " + event);
            }
        }
        for (String user : signedUp) {
            List<String> ofUser = events.getOrDefault(user, List.of()).stream()
                    .map(e -> e.substring(0, e.lastIndexOf(' '))).toList();
            assertTrue(!ofUser.isEmpty() && ofUser.get(0).equals("registered"), "users.v1 for " + user + ": " + ofUser);
            List<Long> versions = ofUser.subList(1, ofUser.size()).stream()
                    .map(e -> Long.parseLong(e.substring("updated v".length()))).toList();
            assertEquals(versions.stream().sorted().distinct().toList(), versions, "users.v1 for " + user + ": " + ofUser);
            if (renamedTwice.contains(user)) {
                assertEquals(2, versions.size(), "users.v1 for " + user + ": " + ofUser);
            }
        }
        try (Connection db = database("meridian_inference");
             var query = db.prepareStatement("SELECT count(*) FROM user_profiles WHERE user_id = ANY (?::uuid[])")) {
            query.setString(1, "{" + String.join(",", signedUp) + "}");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long known = 0;
            while (known < signedUp.size() && System.nanoTime() < deadline) {
                try (ResultSet rs = query.executeQuery()) {
                    rs.next();
                    known = rs.getLong(1);
                }
                TimeUnit.MILLISECONDS.sleep(100); // poll interval
            }
            assertEquals(signedUp.size(), known, "users inference-service learned of");
        }
    }

    private static Set<String> jobIds(List<String> deliveries) {
        if (deliveries == null) {
            return Set.of();
        }
        synchronized (deliveries) {
            return deliveries.stream().map(d -> d.split(" ")[1]).collect(java.util.stream.Collectors.toSet());
        }
    }

    /**
     * users.v1 per user (record key), in partition order, read as committed data from the brokers alive: each event as
     * "registered &lt;id&gt;" or "updated v&lt;version&gt; &lt;id&gt;".
     */
    private Map<String, List<String>> userEvents(int kafkaPort) {
        Map<String, List<String>> events = new HashMap<>();
        String bootstrap = "127.0.0.1:" + kafkaPort + ",127.0.0.1:" + (kafkaPort + 4);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            var partitions = consumer.partitionsFor(Topics.USERS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    String type = header(record, "ce_type");
                    String event = EventType.USER_REGISTERED.ceType().equals(type) ? "registered"
                            : EventType.USER_UPDATED.ceType().equals(type)
                            ? "updated v" + record.value().replaceAll("(?s).*\"version\":(\\d+).*", "$1") : type;
                    events.computeIfAbsent(record.key(), k -> new ArrayList<>())
                            .add(event + " " + header(record, "ce_id"));
                }
            }
        }
        return events;
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> send(int port, String token, String method, String path, String json)
            throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void awaitJobs(Set<String> ids, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        try (Connection db = database("meridian_inference"); var query = db.prepareStatement(
                "SELECT count(*) FROM jobs WHERE id = ANY (?::uuid[]) AND status = 'COMPLETED'")) {
            query.setString(1, "{" + String.join(",", ids) + "}");
            long done = 0;
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = query.executeQuery()) {
                    rs.next();
                    done = rs.getLong(1);
                }
                if (done == ids.size()) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(50); // poll interval
            }
            throw new AssertionError(done + " of " + ids.size() + " jobs completed within " + limit.toSeconds() + " s");
        }
    }

    /** Until user-service's relays have published every outbox row (a row lost on the way stays unpublished). */
    private void awaitOutboxPublished(Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        try (Connection db = database("meridian_users"); var query = db.prepareStatement(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL")) {
            long pending = 0;
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = query.executeQuery()) {
                    rs.next();
                    pending = rs.getLong(1);
                }
                if (pending == 0) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(50); // poll interval
            }
            throw new AssertionError(pending + " user-service outbox rows still unpublished after "
                    + limit.toSeconds() + " s");
        }
    }

    private static void awaitCount(Set<String> set, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (set.size() < count && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20); // poll interval
        }
        assertTrue(set.size() >= count, "the load stalled at " + set.size() + " of " + count);
    }

    private Connection database(String name) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + platform.ports[0] + "/" + name,
                "postgres", "postgres");
    }
}
