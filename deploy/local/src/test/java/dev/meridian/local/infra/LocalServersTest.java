package dev.meridian.local.infra;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each embedded server really starts, answers, keeps its data across a restart, and stops. */
class LocalServersTest {

    @TempDir
    Path dir;

    @Test
    void postgresCreatesDatabasesAndKeepsDataAcrossRestart() throws Exception {
        int port = Ports.free();
        LocalPostgres postgres = new LocalPostgres(port, dir.resolve("pg"), dir.resolve("pg.log"), false, List.of("shop"));
        postgres.start();
        try {
            assertTrue(postgres.isReady());
            execute(postgres, "CREATE TABLE orders (id int PRIMARY KEY, item text)");
            execute(postgres, "INSERT INTO orders VALUES (1, 'book')");
        } finally {
            postgres.close();
        }
        assertFalse(postgres.isReady(), "PostgreSQL still answers after close");

        LocalPostgres again = new LocalPostgres(port, dir.resolve("pg"), dir.resolve("pg.log"), false, List.of("shop"));
        again.start();
        try (Connection c = DriverManager.getConnection(again.jdbcUrl("shop"), LocalPostgres.USER, LocalPostgres.USER);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT item FROM orders WHERE id = 1")) {
            assertTrue(rs.next(), "row written before the restart is gone");
            assertEquals("book", rs.getString(1));
        } finally {
            again.close();
        }
    }

    /**
     * A burst of acknowledged commits, then every PostgreSQL process SIGKILLed at once (a crash, as the OOM killer or
     * a lost node does it): after restart and crash recovery every acknowledged row is there. With zonky's default
     * synchronous_commit=off the last few hundred milliseconds of acknowledged commits are gone.
     */
    @Test
    void postgresKeepsEveryAcknowledgedCommitWhenKilled() throws Exception {
        int port = Ports.free();
        LocalPostgres postgres = new LocalPostgres(port, dir.resolve("pg"), dir.resolve("pg.log"), false, List.of("shop"));
        postgres.start();
        execute(postgres, "CREATE TABLE orders (id int PRIMARY KEY, item text)");
        int acknowledged = 0;
        long postmaster = postgres.pid();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("shop"), LocalPostgres.USER, LocalPostgres.USER);
             PreparedStatement insert = c.prepareStatement("INSERT INTO orders VALUES (?, 'item')")) {
            for (int id = 1; id <= 3000; id++) {
                insert.setInt(1, id);
                insert.executeUpdate(); // autocommit: returned = acknowledged
                acknowledged = id;
            }
            List<String> kill = new ArrayList<>(List.of("kill", "-KILL", Long.toString(postgres.pid())));
            Process children = new ProcessBuilder("pgrep", "-P", Long.toString(postgres.pid())).start();
            for (String child : new String(children.getInputStream().readAllBytes()).trim().split("\\s+")) {
                kill.add(child);
            }
            assertEquals(0, new ProcessBuilder(kill).inheritIO().start().waitFor(), String.join(" ", kill));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !Ports.accepts(port)
                && ProcessHandle.of(postmaster).map(process -> !process.isAlive()).orElse(true));
        try {
            postgres.close(); // releases this JVM's lock on the data directory; stopping the dead server may fail
        } catch (RuntimeException alreadyDead) {
            // nothing was running to stop
        }

        LocalPostgres again = new LocalPostgres(port, dir.resolve("pg"), dir.resolve("pg.log"), false, List.of("shop"));
        again.start();
        try (Connection c = DriverManager.getConnection(again.jdbcUrl("shop"), LocalPostgres.USER, LocalPostgres.USER);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), max(id) FROM orders")) {
            assertTrue(rs.next());
            assertEquals(acknowledged, rs.getInt(1), "acknowledged commits lost in the crash (max id " + rs.getInt(2)
                    + " of " + acknowledged + ")");
        } finally {
            again.close();
        }
    }

    @Test
    void redisAnswersAndKeepsDataAcrossRestart() throws Exception {
        int port = Ports.free();
        LocalRedis redis = new LocalRedis(port, dir.resolve("redis"), dir.resolve("redis.log"), false);
        redis.start();
        try {
            assertEquals("+OK", command(port, "SET greeting hello"));
        } finally {
            redis.close();
        }
        assertFalse(redis.isReady(), "Redis still answers after close");

        LocalRedis again = new LocalRedis(port, dir.resolve("redis"), dir.resolve("redis.log"), false);
        again.start();
        try {
            assertEquals("$5", command(port, "GET greeting"), "value written before the restart is gone");
        } finally {
            again.close();
        }
    }

    /**
     * State and cache in separate Redis servers: the state one refuses writes when full (never evicts), the cache one
     * evicts the least recently used keys and keeps nothing on disk.
     */
    @Test
    void redisStartsWithItsMemoryLimitAndEvictionPolicy() throws Exception {
        int[] ports = Ports.free(2);
        LocalRedis state = new LocalRedis(LocalRedis.NAME, ports[0], dir.resolve("state"), dir.resolve("redis.log"),
                false, LocalRedis.Memory.noEviction("4mb"));
        LocalCacheRedis cache = new LocalCacheRedis(ports[1], dir.resolve("cache"), dir.resolve("redis-cache.log"),
                "4mb");
        assertEquals("redis", state.name());
        assertEquals("redis-cache", cache.name());
        state.start();
        try (state; cache) {
            cache.start();
            try (RespConnection s = new RespConnection(ports[0]); RespConnection c = new RespConnection(ports[1])) {
                assertEquals(List.of("maxmemory-policy", "noeviction"), s.call("CONFIG", "GET", "maxmemory-policy"));
                assertEquals(List.of("maxmemory", Long.toString(4L << 20)), s.call("CONFIG", "GET", "maxmemory"));
                assertEquals(List.of("appendonly", "yes"), s.call("CONFIG", "GET", "appendonly"));
                assertEquals(List.of("maxmemory-policy", "allkeys-lru"), c.call("CONFIG", "GET", "maxmemory-policy"));
                assertEquals(List.of("maxmemory", Long.toString(4L << 20)), c.call("CONFIG", "GET", "maxmemory"));
                assertEquals(List.of("appendonly", "no"), c.call("CONFIG", "GET", "appendonly"));
                assertEquals(List.of("save", ""), c.call("CONFIG", "GET", "save"));

                String value = "x".repeat(64 * 1024);
                for (int i = 0; i < 200; i++) {
                    assertEquals("+OK", c.call("SET", "cache:" + i, value).get(0), "the cache Redis refused a write");
                }
                long kept = Long.parseLong(c.call("DBSIZE").get(0).substring(1));
                assertTrue(kept > 0 && kept < 200, "the cache Redis evicted nothing: " + kept + " keys");
                // Redis' LRU is approximate (it samples keys), so no single old key is sure to go: the old ones go first
                int oldKept = 0;
                int newKept = 0;
                for (int i = 0; i < 50; i++) {
                    oldKept += c.call("EXISTS", "cache:" + i).get(0).equals(":1") ? 1 : 0;
                    newKept += c.call("EXISTS", "cache:" + (150 + i)).get(0).equals(":1") ? 1 : 0;
                }
                assertTrue(oldKept < newKept, "eviction did not prefer the oldest entries: " + oldKept
                        + " of the first 50 kept, " + newKept + " of the last 50");
                assertEquals(":1", c.call("EXISTS", "cache:199").get(0), "the newest cache entry was evicted");

                String refused = null;
                for (int i = 0; i < 200 && refused == null; i++) {
                    String reply = s.call("SET", "state:" + i, value).get(0);
                    refused = reply.startsWith("-") ? reply : null;
                }
                assertNotNull(refused, "the state Redis took 12 MB under a 4 MB limit");
                assertTrue(refused.startsWith("-OOM"), refused);
                assertEquals(":65536", s.call("STRLEN", "state:0").get(0), "the state Redis evicted a key");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> LocalRedis.Memory.noEviction("lots"));
        assertThrows(IllegalArgumentException.class, () -> new LocalRedis.Memory("1mb", "sometimes"));
    }

    @Test
    void kafkaRunsInItsOwnJvmAndDeliversRecords() throws Exception {
        int[] ports = Ports.free(2);
        LocalKafka kafka = new LocalKafka(ports[0], ports[1], dir.resolve("kafka"), dir.resolve("kafka.log"));
        kafka.start();
        try {
            assertTrue(ProcessHandle.of(kafka.pid()).isPresent(), "the broker is not a separate process");
            assertTrue(ProcessHandle.current().pid() != kafka.pid());
            String topic = "local-test-" + UUID.randomUUID();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.address(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
                producer.send(new ProducerRecord<>(topic, "k", "v1")).get();
                producer.send(new ProducerRecord<>(topic, "k", "v2")).get();
            }
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.address(),
                    ConsumerConfig.GROUP_ID_CONFIG, "local-test",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
                consumer.subscribe(List.of(topic));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (values.size() < 2 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                        values.add(record.value());
                    }
                }
            }
            assertEquals(List.of("v1", "v2"), values);
        } finally {
            kafka.close();
        }
        assertFalse(kafka.isAlive(), "the broker JVM survived close");
        assertFalse(Ports.accepts(ports[0]), "the broker port is still open after close");
    }

    /** A cluster id starting with '-' made storage formatting fail one start in 64. */
    @Test
    void clusterIdsNeverLookLikeFlags() {
        for (int i = 0; i < 10_000; i++) {
            String id = LocalKafka.newClusterId();
            assertEquals(22, id.length());
            assertFalse(id.startsWith("-"), id);
        }
    }

    @Test
    void aTakenPortIsReportedWithItsNumberAndHolder() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            LocalRedis redis = new LocalRedis(port, dir.resolve("redis"), dir.resolve("redis.log"), true);
            String message = assertThrows(Ports.PortInUseException.class, redis::start).getMessage();
            assertTrue(message.contains("port " + port + " needed by Redis is already in use"), message);
            if (Ports.owner(port).isPresent()) {
                assertTrue(message.contains("(pid " + ProcessHandle.current().pid() + ")"), message);
            }
        }
    }

    private static void execute(LocalPostgres postgres, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl("shop"), LocalPostgres.USER, LocalPostgres.USER);
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** One connection speaking RESP: each call returns the reply's lines (an array's bulk strings, else one line). */
    private static final class RespConnection implements AutoCloseable {

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        RespConnection(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(5000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        List<String> call(String... args) throws IOException {
            StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
            for (String arg : args) {
                request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg)
                        .append("\r\n");
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            String first = line();
            if (first.startsWith("*")) {
                List<String> items = new ArrayList<>();
                for (int i = Integer.parseInt(first.substring(1)); i > 0; i--) {
                    items.add(bulk(line()));
                }
                return items;
            }
            return List.of(first.startsWith("$") && !first.equals("$-1") ? bulk(first) : first);
        }

        private String bulk(String header) throws IOException {
            byte[] data = in.readNBytes(Integer.parseInt(header.substring(1)) + 2);
            return new String(data, 0, data.length - 2, StandardCharsets.UTF_8);
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b != '\r'; b = in.read()) {
                if (b == -1) {
                    throw new IOException("connection closed");
                }
                line.append((char) b);
            }
            in.read(); // \n
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Sends an inline Redis command and returns the first reply line. */
    private static String command(int port, String command) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b != '\r' && b != -1; b = in.read()) {
                line.append((char) b);
            }
            return line.toString();
        }
    }
}
