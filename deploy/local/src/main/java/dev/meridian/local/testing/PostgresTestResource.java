package dev.meridian.local.testing;

import dev.meridian.local.infra.LocalPostgres;
import dev.meridian.local.infra.Ports;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Embedded PostgreSQL for {@code @QuarkusTest}s; init arg {@code database} names the database (default meridian). */
public class PostgresTestResource extends EmbeddedTestResource<LocalPostgres> {

    private String database = "meridian";

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.getOrDefault("database", database);
    }

    @Override
    protected LocalPostgres create(Path workDir) {
        return new LocalPostgres(Ports.free(), workDir.resolve("data"), workDir.resolve("postgresql.log"), true,
                List.of(database));
    }

    @Override
    protected Map<String, String> config(LocalPostgres postgres) {
        return Map.of(
                "quarkus.datasource.reactive.url", postgres.reactiveUrl(database),
                "quarkus.datasource.jdbc.url", postgres.jdbcUrl(database),
                "quarkus.datasource.username", LocalPostgres.USER,
                "quarkus.datasource.password", LocalPostgres.USER);
    }
}
