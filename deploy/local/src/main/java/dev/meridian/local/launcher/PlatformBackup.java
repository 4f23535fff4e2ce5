package dev.meridian.local.launcher;

import dev.meridian.local.infra.LocalCacheRedis;
import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.infra.LocalRedis;
import org.apache.kafka.common.utils.AppInfoParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Backup and restore of a stopped platform's state. Stopped, because then PostgreSQL, Kafka and the state Redis are
 * consistent with each other (no outbox row half relayed, no consumer offset ahead of its effects) without any
 * coordination, and the embedded PostgreSQL has no pg_dump or pg_basebackup (zonky ships initdb, pg_ctl and postgres
 * only), so its cluster is copied as files after a clean shutdown. What is kept: PostgreSQL (both databases), Kafka's
 * log directories (every topic's records and the consumer groups' committed offsets), the state Redis (its append-only
 * file: deny-list, rate-limit and budget state), the secrets (the master key the signing keys are encrypted under) and
 * the usage journal (billable calls not yet shipped). Not kept: the cache Redis (vectors and responses, recomputed) and
 * logs. A manifest records versions, sizes and the schema version of each database; SHA256SUMS checks every file.
 */
final class PlatformBackup {

    static final String MANIFEST = "manifest.properties";
    static final String CHECKSUMS = "SHA256SUMS";
    /** Under .platform: what is state. The cache Redis dirs are deliberately absent. */
    private static final List<String> STATE = List.of("data/postgresql", "data/kafka", "data/kafka-cluster",
            "data/" + LocalRedis.NAME, "data/redis-cluster", "secrets", "usage-journal");
    private static final Map<String, String> SERVICE_DATABASES = Map.of(
            PlatformLauncher.USER_DB, "user-service", PlatformLauncher.INFERENCE_DB, "inference-service");

    private final Path home;
    private final Path platformDir;
    private final int pgPort;
    private final PrintStream out;

    PlatformBackup(Path home, Path platformDir, int pgPort, PrintStream out) {
        this.home = home;
        this.platformDir = platformDir;
        this.pgPort = pgPort;
        this.out = out;
    }

    void backup(Path target) throws IOException {
        if (!Files.isDirectory(platformDir.resolve("data/postgresql"))) {
            throw new IllegalArgumentException("nothing to back up: " + platformDir.resolve("data") + " has no"
                    + " PostgreSQL data (run ./platform up once)");
        }
        requireEmpty(target);
        long started = System.nanoTime();
        Properties manifest = new Properties();
        manifest.setProperty("format", "1");
        manifest.setProperty("created-at", Instant.now().toString());
        manifest.setProperty("postgresql.major", Files.readString(platformDir.resolve("data/postgresql/PG_VERSION")).trim());
        manifest.setProperty("kafka.version", AppInfoParser.getVersion());
        out.println("backup: reading the databases' schema versions (PostgreSQL started alone on port " + pgPort + ")");
        schemaVersions().forEach((database, version) -> manifest.setProperty("schema." + database, version));
        Files.createDirectories(target);
        // it holds every user's data and the master key: the owner's only
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        List<String> sums = new ArrayList<>();
        for (String part : STATE) {
            Path from = platformDir.resolve(part);
            if (!Files.exists(from)) {
                continue;
            }
            long partStarted = System.nanoTime();
            long[] totals = copy(from, target.resolve(part), target, sums);
            manifest.setProperty("part." + part + ".files", Long.toString(totals[0]));
            manifest.setProperty("part." + part + ".bytes", Long.toString(totals[1]));
            out.printf("backup: %-20s %6d files %10s  %5.1f s%n", part, totals[0], size(totals[1]),
                    seconds(partStarted));
        }
        Files.write(target.resolve(CHECKSUMS), sums, StandardCharsets.UTF_8);
        try (Writer writer = Files.newBufferedWriter(target.resolve(MANIFEST))) {
            manifest.store(writer, "Meridian backup; restore with ./platform restore " + target);
        }
        out.printf("backup: done in %.1f s: %s (not kept: the cache Redis, logs)%n", seconds(started), target);
    }

    void restore(Path source) throws IOException {
        Properties manifest = new Properties();
        Path manifestFile = source.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new IllegalArgumentException(source + " is not a Meridian backup (no " + MANIFEST + ")");
        }
        try (Reader reader = Files.newBufferedReader(manifestFile)) {
            manifest.load(reader);
        }
        Path data = platformDir.resolve("data");
        if (Files.isDirectory(data) && !isEmpty(data)) {
            throw new IllegalArgumentException(data + " is not empty: restore goes into an empty platform"
                    + " (./platform reset deletes its data first)");
        }
        requireCompatible(manifest);
        long started = System.nanoTime();
        out.println("restore: checking every file against " + CHECKSUMS);
        List<String> sums = Files.readAllLines(source.resolve(CHECKSUMS));
        for (String line : sums) {
            String expected = line.substring(0, 64);
            String file = line.substring(66);
            if (!expected.equals(sha256(source.resolve(file)))) {
                throw new IllegalArgumentException("the backup is damaged: " + file + " does not match its checksum;"
                        + " nothing was restored");
            }
        }
        for (String part : STATE) {
            Path from = source.resolve(part);
            if (!Files.exists(from)) {
                continue;
            }
            long partStarted = System.nanoTime();
            Path to = platformDir.resolve(part);
            if (Files.exists(to)) { // secrets or the journal, which ./platform reset keeps: set aside, never deleted
                Path aside = platformDir.resolve(part + ".before-restore-" + System.currentTimeMillis());
                Files.move(to, aside);
                out.println("restore: the platform's own " + part + " moved to " + aside);
            }
            long[] totals = copy(from, to, null, null);
            out.printf("restore: %-20s %6d files %10s  %5.1f s%n", part, totals[0], size(totals[1]),
                    seconds(partStarted));
        }
        out.printf("restore: done in %.1f s (backup of %s); ./platform up starts from it%n", seconds(started),
                manifest.getProperty("created-at"));
    }

    /**
     * A physical copy runs only on the PostgreSQL major it was made with; a schema newer than this build's migrations
     * would be read by services that do not know it. An older schema is fine: the services migrate it forward.
     */
    private void requireCompatible(Properties manifest) throws IOException {
        String major = manifest.getProperty("postgresql.major");
        if (!LocalPostgres.MAJOR_VERSION.equals(major)) {
            throw new IllegalArgumentException("the backup holds PostgreSQL " + major + " files; this build runs "
                    + "PostgreSQL " + LocalPostgres.MAJOR_VERSION + ": restore it with a build of that major version");
        }
        for (Map.Entry<String, String> database : SERVICE_DATABASES.entrySet()) {
            String backedUp = manifest.getProperty("schema." + database.getKey());
            int known = newestMigration(database.getValue());
            if (backedUp != null && Integer.parseInt(backedUp) > known) {
                throw new IllegalArgumentException("the backup's " + database.getKey() + " schema is at version "
                        + backedUp + ", newer than this build's " + database.getValue() + " knows (" + known
                        + "): restore it with the build that made it, or a newer one");
            }
        }
    }

    /** The newest Flyway migration of a service in this checkout (V<n>__*.sql). */
    private int newestMigration(String service) throws IOException {
        try (Stream<Path> files = Files.list(home.resolve(service).resolve("src/main/resources/db/migration"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElse(0);
        }
    }

    /** Each service database's newest applied migration; the server is stopped again before any file is copied. */
    private Map<String, String> schemaVersions() throws IOException {
        Map<String, String> versions = new LinkedHashMap<>();
        LocalPostgres postgres = new LocalPostgres(pgPort, platformDir.resolve("data/postgresql"),
                platformDir.resolve("logs/postgresql.log"), false, List.of());
        postgres.start();
        try {
            for (String database : SERVICE_DATABASES.keySet()) {
                try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(database),
                        LocalPostgres.USER, LocalPostgres.USER);
                     Statement statement = connection.createStatement();
                     // the service's own migrations are V1, V2, ...; the shared outbox's are V0_1, ...
                     ResultSet rs = statement.executeQuery("SELECT max(split_part(version, '.', 1)::int)"
                             + " FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
                    rs.next();
                    versions.put(database, Integer.toString(rs.getInt(1)));
                } catch (SQLException e) {
                    if (!"42P01".equals(e.getSQLState())) { // anything but "no such table" (never migrated)
                        throw new IOException("could not read " + database + "'s schema version", e);
                    }
                    versions.put(database, "0");
                }
            }
        } finally {
            postgres.close();
        }
        return versions;
    }

    /**
     * Copies a file or tree with its permissions (PostgreSQL refuses a data directory others can read; the secrets stay
     * owner-only); with {@code root}, records each copy's checksum relative to it. Returns {files, bytes}.
     */
    private static long[] copy(Path from, Path to, Path root, List<String> sums) throws IOException {
        long[] totals = new long[2];
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(from)) {
            paths = walk.toList(); // parents before children
        }
        for (Path path : paths) {
            Path copy = to.resolve(from.relativize(path).toString());
            if (Files.isDirectory(path)) {
                Files.createDirectories(copy);
                Files.setPosixFilePermissions(copy, Files.getPosixFilePermissions(path));
                continue;
            }
            if (!Files.isRegularFile(path)) {
                continue;
            }
            Path file = path;
            Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
            totals[0]++;
            totals[1] += Files.size(copy);
            if (root != null) {
                sums.add(sha256(copy) + "  " + root.relativize(copy));
            }
        }
        return totals;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void requireEmpty(Path target) throws IOException {
        if (Files.exists(target) && (!Files.isDirectory(target) || !isEmpty(target))) {
            throw new IllegalArgumentException(target + " exists and is not an empty directory");
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    private static String size(long bytes) {
        return bytes >= 1 << 20 ? String.format("%.1f MB", bytes / 1048576.0) : String.format("%.1f KB", bytes / 1024.0);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
