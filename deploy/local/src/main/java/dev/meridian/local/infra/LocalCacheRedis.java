package dev.meridian.local.infra;

import java.nio.file.Path;
import java.util.List;

/**
 * The cache Redis ({@value #NAME}), apart from the state Redis so a flood of cache entries can never evict or block
 * state: a memory limit with {@code allkeys-lru} eviction, and nothing kept on disk (no append-only file, no
 * snapshots), since everything in it can be fetched again. Its own type so a test resource can tell it from the state
 * Redis when it fills {@code @InjectLocalServer} fields.
 */
public final class LocalCacheRedis extends LocalRedis {

    public static final String NAME = "redis-cache";

    /** @param maxmemory e.g. {@code 64mb}; keys are evicted least recently used first once it is reached */
    public LocalCacheRedis(int port, Path dataDir, Path logFile, String maxmemory) {
        super(NAME, port, dataDir, logFile, true, Memory.allKeysLru(maxmemory));
    }

    @Override
    protected List<String> persistenceArguments() {
        return List.of("--appendonly", "no", "--save", "");
    }
}
