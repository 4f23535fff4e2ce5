package dev.meridian.local.launcher;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Ports and paths of a local platform. Each port comes from a flag ({@code --pg-port=15433}), else an environment
 * variable ({@code MERIDIAN_PG_PORT}), else a default chosen so it never collides with a system PostgreSQL, Redis or
 * Kafka.
 */
record LauncherOptions(Path home, Path platformDir, int pgPort, int redisPort, int redisCachePort, int kafkaPort,
                       int kafkaControllerPort, int gatewayPort, int userPort, int userInstances, int inferencePort,
                       int inferenceInstances, int zipkinPort, boolean zipkin, boolean redisCluster,
                       int redisClusterPort, int kafkaBrokers, int gatewayInstances) {

    static final String USAGE = """
            flags (or environment variables):
              --pg-port=N                 MERIDIAN_PG_PORT                 (15432)
              --redis-port=N              MERIDIAN_REDIS_PORT              (16379; state: deny-list, rate limits)
              --redis-cache-port=N        MERIDIAN_REDIS_CACHE_PORT        (16380; caches: gateway responses, inference vectors)
              --kafka-port=N              MERIDIAN_KAFKA_PORT              (19092)
              --kafka-controller-port=N   MERIDIAN_KAFKA_CONTROLLER_PORT   (19093)
              --kafka-brokers=N           MERIDIAN_KAFKA_BROKERS           (1; with 3, topics have 3 replicas and
                                          writes wait for 2; broker i > 0 listens on kafka-port + 2i, its
                                          controller on kafka-controller-port + 2i)
              --gateway-port=N            MERIDIAN_GATEWAY_PORT            (8080)
              --gateway-instances=N       MERIDIAN_GATEWAY_INSTANCES       (1; instance i listens on gateway-port + 100 + i)
              --user-port=N               MERIDIAN_USER_PORT               (8081)
              --user-instances=N          MERIDIAN_USER_INSTANCES          (1; instance i > 0 listens on user-port + 9 + i)
              --inference-port=N          MERIDIAN_INFERENCE_PORT          (8082)
              --inference-instances=N     MERIDIAN_INFERENCE_INSTANCES     (1; instance i listens on inference-port + i)
              --zipkin-port=N             MERIDIAN_ZIPKIN_PORT             (19411)
              --no-zipkin                 run without the Zipkin server (services then export no traces)
              --redis-cluster             Redis Cluster in place of the two Redis servers: state on six nodes (three
                                          masters, three replicas), caches on three masters
              --redis-cluster-port=N      MERIDIAN_REDIS_CLUSTER_PORT      (17000; state nodes N..N+5, cache nodes
                                          N+10..N+12, cluster bus on each port + 10000)""";

    private static final List<String> FLAGS = List.of("pg-port", "redis-port", "redis-cache-port", "kafka-port",
            "kafka-controller-port", "gateway-port", "user-port", "user-instances", "inference-port",
            "inference-instances", "zipkin-port", "redis-cluster-port", "kafka-brokers", "gateway-instances");
    private static final String NO_ZIPKIN = "--no-zipkin";
    private static final String REDIS_CLUSTER = "--redis-cluster";
    /** Inference instances take inference-port + 0..7 and user instances user-port + 10..16: they never meet. */
    private static final int MAX_INSTANCES = 8;

    static LauncherOptions parse(Path home, Path platformDir, List<String> args, Map<String, String> env) {
        for (String arg : args) {
            if (!arg.equals(NO_ZIPKIN) && !arg.equals(REDIS_CLUSTER) && FLAGS.stream().noneMatch(flag -> arg.startsWith("--" + flag + "="))) {
                throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
            }
        }
        return new LauncherOptions(home, platformDir,
                port("pg-port", 15432, args, env),
                port("redis-port", 16379, args, env),
                port("redis-cache-port", 16380, args, env),
                port("kafka-port", 19092, args, env),
                port("kafka-controller-port", 19093, args, env),
                port("gateway-port", 8080, args, env),
                port("user-port", 8081, args, env),
                instances("user-instances", args, env),
                port("inference-port", 8082, args, env),
                instances("inference-instances", args, env),
                port("zipkin-port", 19411, args, env),
                !args.contains(NO_ZIPKIN),
                args.contains(REDIS_CLUSTER),
                port("redis-cluster-port", 17000, args, env),
                instances("kafka-brokers", args, env),
                instances("gateway-instances", args, env));
    }

    private static int instances(String flag, List<String> args, Map<String, String> env) {
        String value = value(flag, args, env);
        if (value == null || value.isBlank()) {
            return 1;
        }
        try {
            int instances = Integer.parseInt(value.trim());
            if (instances < 1 || instances > MAX_INSTANCES) {
                throw new NumberFormatException();
            }
            return instances;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + flag + " / MERIDIAN_" + flag.replace('-', '_').toUpperCase()
                    + " must be 1-" + MAX_INSTANCES + ", got '" + value + "'");
        }
    }

    private static String value(String flag, List<String> args, Map<String, String> env) {
        String prefix = "--" + flag + "=";
        return args.stream().filter(a -> a.startsWith(prefix)).map(a -> a.substring(prefix.length()))
                .reduce((first, last) -> last)
                .orElse(env.get("MERIDIAN_" + flag.replace('-', '_').toUpperCase()));
    }

    /** Ports of the gateways: gateway-port, then gateway-port + 101, + 102, ... */
    List<Integer> gatewayPorts() {
        return java.util.stream.IntStream.range(0, gatewayInstances)
                .mapToObj(i -> i == 0 ? gatewayPort : gatewayPort + 100 + i).toList();
    }

    /** Ports of the user-service instances: user-port, then user-port + 10, + 11, ... */
    List<Integer> userPorts() {
        return java.util.stream.IntStream.range(0, userInstances).mapToObj(i -> i == 0 ? userPort : userPort + 9 + i)
                .toList();
    }

    /** Ports of the inference-service instances: inference-port, inference-port + 1, ... */
    List<Integer> inferencePorts() {
        return java.util.stream.IntStream.range(0, inferenceInstances).mapToObj(i -> inferencePort + i).toList();
    }

    private static int port(String flag, int fallback, List<String> args, Map<String, String> env) {
        String envName = "MERIDIAN_" + flag.replace('-', '_').toUpperCase();
        String value = value(flag, args, env);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + flag + " / " + envName + " must be a port number (1-65535), got '"
                    + value + "'");
        }
    }

    /** With {@code --redis-cluster}: the state cluster's six nodes, masters first. */
    int[] redisClusterStatePorts() {
        return java.util.stream.IntStream.range(0, 6).map(i -> redisClusterPort + i).toArray();
    }

    /** With {@code --redis-cluster}: the cache cluster's three masters. */
    int[] redisClusterCachePorts() {
        return java.util.stream.IntStream.range(0, 3).map(i -> redisClusterPort + 10 + i).toArray();
    }

    /** The Kafka brokers' ports: kafka-port, kafka-port + 2, ... */
    int[] kafkaPorts() {
        return java.util.stream.IntStream.range(0, kafkaBrokers).map(i -> kafkaPort + 2 * i).toArray();
    }

    /** The Kafka controllers' ports: kafka-controller-port, kafka-controller-port + 2, ... */
    int[] kafkaControllerPorts() {
        return java.util.stream.IntStream.range(0, kafkaBrokers).map(i -> kafkaControllerPort + 2 * i).toArray();
    }

    Path dataDir() {
        return platformDir().resolve("data");
    }

    Path logDir() {
        return platformDir().resolve("logs");
    }

    Path runDir() {
        return platformDir().resolve("run");
    }
}
