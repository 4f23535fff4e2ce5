package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts one embedded server on a free port with a throwaway data directory for a module's test run, and hands its
 * connection settings to Quarkus. Register it on one test class with {@code @QuarkusTestResource}: unrestricted
 * resources start once for all tests that share the Quarkus application.
 */
abstract class EmbeddedTestResource<S extends LocalServer> implements QuarkusTestResourceLifecycleManager {

    private Path workDir;
    private S server;

    protected abstract S create(Path workDir);

    protected abstract Map<String, String> config(S server);

    @Override
    public Map<String, String> start() {
        try {
            workDir = Files.createTempDirectory("meridian-test-");
            server = create(workDir);
            server.start();
            return config(server);
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("could not start embedded " + getClass().getSimpleName(), e);
        }
    }

    /**
     * Fills fields annotated {@link InjectLocalServer} whose declared type is exactly this resource's server class, so
     * a {@code LocalRedis} field gets the state Redis and a {@code LocalCacheRedis} field the cache Redis. (Quarkus'
     * {@code AnnotatedAndMatchesType} matches subtypes too: it would hand the cache Redis, also a {@code LocalRedis},
     * to every {@code LocalRedis} field.)
     */
    @Override
    public void inject(TestInjector testInjector) {
        Class<?> type = server.getClass();
        testInjector.injectIntoFields(server,
                field -> field.isAnnotationPresent(InjectLocalServer.class) && field.getType() == type);
    }

    @Override
    public void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            server = null;
            deleteRecursively(workDir);
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
