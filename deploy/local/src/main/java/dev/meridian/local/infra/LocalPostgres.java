package dev.meridian.local.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/** PostgreSQL 15 from the zonky binaries, with the databases the services need created on start. */
public final class LocalPostgres implements LocalServer {

    public static final String USER = "postgres";
    /** The major version of the zonky binaries (a data directory only runs on its own major). */
    public static final String MAJOR_VERSION = "15";

    private final int port;
    private final Path dataDir;
    private final Path logFile;
    private final boolean throwaway;
    private final List<String> databases;
    private EmbeddedPostgres postgres;

    /**
     * @param throwaway when true the data directory is wiped on start and stop (tests); otherwise it is kept
     */
    public LocalPostgres(int port, Path dataDir, Path logFile, boolean throwaway, List<String> databases) {
        this.port = port;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.throwaway = throwaway;
        this.databases = List.copyOf(databases);
    }

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String address() {
        return "postgresql://127.0.0.1:" + port;
    }

    public String reactiveUrl(String database) {
        return address() + "/" + database;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    @Override
    public void start() throws IOException {
        start(throwaway);
    }

    /**
     * After the server was killed (SIGKILL, a crash): starts it again on the same data, which it recovers from its
     * write-ahead log, even when it is a throwaway test server.
     */
    public void restartAfterCrash() throws IOException {
        // closing the handle releases this JVM's lock on the data directory, and would delete a throwaway server's
        // data with it: zonky's switch keeps it (read at close)
        System.setProperty("ot.epg.no-cleanup", "true");
        try {
            close();
        } catch (RuntimeException alreadyDead) {
            // stopping the dead server failed: nothing was running
        } finally {
            System.clearProperty("ot.epg.no-cleanup");
        }
        start(false);
    }

    private void start(boolean clean) throws IOException {
        Ports.requireFree(port, "PostgreSQL");
        boolean existing = Files.exists(dataDir.resolve("PG_VERSION"));
        Files.createDirectories(dataDir);
        Files.createDirectories(logFile.getParent());
        try {
            postgres = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(clean)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", throwaway ? "off" : "on")
                    // zonky's default is off: a crash would lose commits already acknowledged (a sign-up answered
                    // 201, its outbox row with it); on, a commit returns once its WAL is written (and, with fsync,
                    // flushed), so a killed server loses nothing it acknowledged (LocalServersTest)
                    .setServerConfig("synchronous_commit", "on")
                    .setOutputRedirector(Redirect.appendTo(logFile.toFile()))
                    .setErrorRedirector(Redirect.appendTo(logFile.toFile()))
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setRegisterShutdownHook(false)
                    .start();
            createDatabases();
        } catch (IOException | SQLException | RuntimeException e) {
            close();
            String hint = existing && !throwaway
                    ? "; if its data is corrupted, reset local data with ./platform reset (deletes " + dataDir + ")"
                    : "";
            throw new IOException("PostgreSQL did not start on port " + port + " (log: " + logFile + ")" + hint, e);
        }
    }

    private void createDatabases() throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            for (String database : databases) {
                try (ResultSet rs = statement.executeQuery(
                        "SELECT 1 FROM pg_database WHERE datname = '" + database.replace("'", "''") + "'")) {
                    if (rs.next()) {
                        continue;
                    }
                }
                statement.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
            }
        }
    }

    /** Process id of the postmaster (from postmaster.pid), so a launcher can find it again; -1 if not running. */
    @Override
    public long pid() {
        try {
            return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public boolean isReady() {
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), USER, USER);
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT 1")) {
            return rs.next();
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException e) {
                throw new IllegalStateException("could not stop PostgreSQL on port " + port, e);
            } finally {
                postgres = null;
            }
        }
    }
}
