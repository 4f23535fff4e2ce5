package dev.meridian.local.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.meridian.events.Topics;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * No Docker engine or cluster exists here, so the images, docker compose and Kubernetes files are checked offline for
 * what would break them at deploy time: ports that probes and Services name match what each service listens on, every
 * setting a service needs away from a developer machine is set, image names match the build's, Kafka topics match
 * the event-bus contracts, no {@code latest} tags, resources, probes and a locked-down security context everywhere.
 * Kubernetes overlays are rendered with {@code kubectl kustomize} when kubectl is installed; otherwise the base and
 * overlay files are read as they are (without the overlays' patches).
 */
class DeploymentManifestsTest {

    private static final Path REPO = LocalPlatform.REPO;
    private static final List<String> SERVICES = List.of("gateway-service", "user-service", "inference-service");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern ADDRESS = Pattern.compile("(?<![\\w.-])([a-z][a-z0-9-]*(?:\\.[a-z0-9-]+)?):(\\d+)");
    /** Infrastructure the compose services talk to, and the port each listens on inside the compose network. */
    private static final Map<String, Integer> COMPOSE_INFRASTRUCTURE = Map.of("kafka-1", 9092, "kafka-2", 9092,
            "kafka-3", 9092, "postgres", 5432, "redis", 6379, "redis-cache", 6379, "jaeger", 4317, "prometheus", 9090);

    /** The build's image names: deploy/images.env, tagged with the Maven project version. */
    private static Map<String, String> images() throws Exception {
        Properties env = new Properties();
        try (var reader = Files.newBufferedReader(REPO.resolve("deploy/images.env"))) {
            env.load(reader);
        }
        String pom = Files.readString(REPO.resolve("pom.xml"));
        Matcher version = Pattern.compile("<artifactId>meridian-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(pom);
        assertTrue(version.find(), "no project version in pom.xml");
        assertEquals(version.group(1), env.getProperty("MERIDIAN_IMAGE_TAG"), "image tag = project version");
        Map<String, String> images = new LinkedHashMap<>();
        for (String service : SERVICES) {
            images.put(service, env.getProperty("MERIDIAN_IMAGE_PREFIX") + "/" + service + ":" + version.group(1));
        }
        return images;
    }

    /** quarkus.http.port of a service. */
    private static int port(String service) throws Exception {
        return Integer.parseInt(properties(service, Set.of()).get("quarkus.http.port"));
    }

    /**
     * Where a service's settings come from, the last one winning: the defaults of the event-bus modules it depends on
     * (their META-INF/microprofile-config.properties), then its application.properties.
     */
    private static List<Path> configFiles(String service) throws Exception {
        String pom = Files.readString(REPO.resolve(service + "/pom.xml"));
        List<Path> files = new ArrayList<>();
        try (Stream<Path> modules = Files.list(REPO.resolve("event-bus"))) {
            for (Path module : modules.filter(Files::isDirectory).sorted().toList()) {
                Matcher artifact = Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>")
                        .matcher(Files.readString(module.resolve("pom.xml")));
                Path defaults = module.resolve("src/main/resources/META-INF/microprofile-config.properties");
                if (artifact.find() && pom.contains("<artifactId>" + artifact.group(1) + "</artifactId>")
                        && Files.exists(defaults)) {
                    files.add(defaults);
                }
            }
        }
        files.add(REPO.resolve(service + "/src/main/resources/application.properties"));
        return files;
    }

    /** The settings of a service as the given extra profiles (besides prod) see them. */
    private static Map<String, String> properties(String service, Set<String> profiles) throws Exception {
        Map<String, String> properties = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();
        for (Path file : configFiles(service)) {
            lines.addAll(Files.readAllLines(file));
        }
        for (String line : lines) {
            Matcher profiled = Pattern.compile("^%(\\w+)\\.(.*)").matcher(line);
            if (profiled.matches()) {
                if (!profiles.contains(profiled.group(1))) {
                    continue;
                }
                line = profiled.group(2);
            }
            int equals = line.indexOf('=');
            if (!line.isBlank() && !line.startsWith("#") && equals > 0) {
                properties.put(line.substring(0, equals).trim(), line.substring(equals + 1).trim());
            }
        }
        return properties;
    }

    /**
     * What must be set for a service to run anywhere but a developer machine: every {@code ${VAR}} without a default,
     * every setting whose default points at localhost, the datasource credentials, and tracing over OTLP.
     */
    private static Set<String> requiredEnv(String service, Set<String> profiles) throws Exception {
        Set<String> required = new TreeSet<>(
                Set.of("MERIDIAN_OTEL_DISABLED", "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        Matcher reference = Pattern.compile("\\$\\{([A-Z0-9_]+)(:([^}]*))?}").matcher("");
        for (var property : properties(service, profiles).entrySet()) {
            if (property.getKey().equals("meridian.tracing.zipkin.endpoint")) {
                continue; // read only with MERIDIAN_TRACING_EXPORTER=zipkin; deployments export over OTLP (checked)
            }
            String value = property.getValue();
            boolean local = value.contains("127.0.0.1") || value.contains("localhost")
                    || property.getKey().matches("quarkus\\.datasource\\.(username|password)");
            reference.reset(value);
            if (reference.find()) {
                if (reference.group(2) == null || local) {
                    required.add(reference.group(1));
                }
            } else if (local) {
                required.add(property.getKey().toUpperCase().replaceAll("[^A-Z0-9]", "_"));
            }
        }
        return required;
    }

    /** Every MERIDIAN_* variable a service could read: ${VAR} references and meridian.* keys of any profile. */
    private static Set<String> knownMeridianEnv(String service) throws Exception {
        Set<String> known = new HashSet<>();
        StringBuilder all = new StringBuilder();
        for (Path file : configFiles(service)) {
            all.append(Files.readString(file)).append('\n');
        }
        String text = all.toString();
        Matcher reference = Pattern.compile("\\$\\{(MERIDIAN_[A-Z0-9_]+)").matcher(text);
        while (reference.find()) {
            known.add(reference.group(1));
        }
        Matcher key = Pattern.compile("(?m)^(?:%\\w+\\.)?(meridian\\.[\\w.-]+)=").matcher(text);
        while (key.find()) {
            known.add(key.group(1).toUpperCase().replaceAll("[^A-Z0-9]", "_"));
        }
        return known;
    }

    @Test
    void dockerfilesBuildNonRootFastJarImagesThatCheckTheirOwnPort() throws Exception {
        for (String service : SERVICES) {
            Path module = REPO.resolve(service);
            String dockerfile = Files.readString(module.resolve("src/main/docker/Dockerfile.jvm"));
            int port = port(service);
            assertTrue(dockerfile.contains("EXPOSE " + port + "\n"), service + " exposes another port");
            assertTrue(dockerfile.contains("/dev/tcp/127.0.0.1/" + port + " ")
                    && dockerfile.contains("/q/health/ready"), service + "'s HEALTHCHECK does not ask its own port");
            assertTrue(dockerfile.contains("\nUSER 185\n"), service + " does not run as a non-root user");
            assertTrue(dockerfile.contains("-XX:MaxRAMPercentage=")
                    && dockerfile.contains("-XX:+ExitOnOutOfMemoryError"), service + " lacks the container JVM flags");
            assertTrue(dockerfile.contains("target/quarkus-app/lib/") && dockerfile.contains("quarkus-run.jar"),
                    service + " is not the fast-jar layout");
            Matcher from = Pattern.compile("(?m)^FROM (\\S+)").matcher(dockerfile);
            assertTrue(from.find());
            assertPinned(from.group(1), service + "/Dockerfile.jvm");
            assertTrue(Files.readString(module.resolve(".dockerignore")).contains("!target/quarkus-app/"),
                    service + "'s .dockerignore would send more than the packaged app");
        }
    }

    @Test
    void composeRunsEveryServiceHealthyOnItsPortWithAllItNeedsAndPublishesOnlyTheGatewayAndDashboards()
            throws Exception {
        Path dir = REPO.resolve("deploy/compose");
        JsonNode services = YAML.readTree(dir.resolve("docker-compose.yml").toFile()).path("services");
        images(); // the tag is the project version
        Map<String, Integer> listening = new HashMap<>(COMPOSE_INFRASTRUCTURE);
        for (String service : SERVICES) {
            listening.put(service, port(service));
        }
        for (var entry : services.properties()) {
            String name = entry.getKey();
            JsonNode service = entry.getValue();
            String image = service.path("image").asText();
            if (SERVICES.contains(name)) {
                assertEquals("${MERIDIAN_IMAGE_PREFIX}/" + name + ":${MERIDIAN_IMAGE_TAG}", image, name);
                assertEquals("../../" + name, service.path("build").path("context").asText(), name);
                assertTrue(Files.exists(dir.resolve(service.path("build").path("context").asText())
                        .resolve(service.path("build").path("dockerfile").asText())), name + "'s Dockerfile");
                String health = service.path("healthcheck").path("test").toString();
                assertTrue(health.contains("/dev/tcp/127.0.0.1/" + port(name) + " ")
                        && health.contains("/q/health/ready"), name + "'s health check misses its port: " + health);
                Map<String, String> env = new LinkedHashMap<>();
                service.path("environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
                Matcher exported = Pattern.compile("export ([A-Z0-9_]+)=")
                        .matcher(service.path("entrypoint").toString());
                while (exported.find()) {
                    env.put(exported.group(1), "(from the entrypoint)");
                }
                assertServiceEnv(name, env, "compose");
                for (Map.Entry<String, String> variable : env.entrySet()) {
                    if (variable.getKey().equals("MERIDIAN_ISSUER")) {
                        continue; // the tokens' issuer: the address clients reach the gateway at, never called
                    }
                    String value = variable.getValue();
                    Matcher address = ADDRESS.matcher(value);
                    while (address.find()) {
                        String host = address.group(1);
                        assertTrue(services.has(host), name + " talks to " + host + ", which compose does not run");
                        assertEquals(listening.get(host), Integer.valueOf(address.group(2)),
                                name + " calls " + host + " on a port it does not listen on: " + value);
                    }
                }
                for (JsonNode dependency : service.path("depends_on")) {
                    assertTrue(dependency.path("condition").asText().startsWith("service_"), name + " " + dependency);
                }
                assertFalse(service.path("depends_on").isEmpty(), name + " starts before what it needs");
            } else {
                assertPinned(image, "compose service " + name);
            }
            if (name.startsWith("kafka")) {
                // the same durability as ./platform up --kafka-brokers=3 and deploy/k8s: one broker may die
                JsonNode env = service.path("environment");
                assertEquals("3", env.path("KAFKA_DEFAULT_REPLICATION_FACTOR").asText(), name);
                assertEquals("2", env.path("KAFKA_MIN_INSYNC_REPLICAS").asText(), name);
                assertEquals("3", env.path("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR").asText(), name);
            }
            Set<String> published = new HashSet<>();
            service.path("ports").forEach(p -> published.add(p.asText()));
            switch (name) {
                case "gateway-service" -> assertEquals(Set.of("8080:" + port(name)), published);
                case "grafana" -> assertEquals(Set.of("3000:3000"), published);
                case "jaeger" -> assertEquals(Set.of("16686:16686"), published);
                default -> assertTrue(published.isEmpty(), name + " should not be published to the host");
            }
        }
        for (String service : SERVICES) {
            assertTrue(services.has(service), "compose does not run " + service);
        }
        // compose fills ${MERIDIAN_IMAGE_*} from .env: the same file as the build's names
        assertEquals(Files.readString(REPO.resolve("deploy/images.env")), Files.readString(dir.resolve(".env")));

        // compose's Prometheus scrapes each service where it listens, under the job names the dashboards use
        JsonNode local = YAML.readTree(REPO.resolve("deploy/observability/prometheus/prometheus.yml").toFile());
        JsonNode compose = YAML.readTree(dir.resolve("prometheus.yml").toFile());
        Map<String, String> localJobs = scrapeTargets(local);
        Map<String, String> composeJobs = scrapeTargets(compose);
        assertEquals(localJobs.keySet(), composeJobs.keySet());
        for (String service : SERVICES) {
            assertEquals(service + ":" + port(service), composeJobs.get(service));
            assertEquals("localhost:" + port(service), localJobs.get(service));
        }
    }

    private static Map<String, String> scrapeTargets(JsonNode config) {
        Map<String, String> jobs = new LinkedHashMap<>();
        for (JsonNode job : config.path("scrape_configs")) {
            assertEquals("/q/metrics", job.path("metrics_path").asText(), job.toString());
            jobs.put(job.path("job_name").asText(), job.path("static_configs").get(0).path("targets").get(0).asText());
        }
        return jobs;
    }

    @Test
    void kubernetesOverlaysRenderAndHoldTheDeploymentInvariants() throws Exception {
        for (String overlay : List.of("dev", "prod")) {
            List<JsonNode> docs = render(REPO.resolve("deploy/k8s/overlays/" + overlay));
            try {
                checkKubernetes(docs);
                if (overlay.equals("prod")) {
                    // three brokers, every write on two of them before it is acknowledged: one broker may die
                    JsonNode config = byName(docs, "Kafka").values().iterator().next().path("spec").path("kafka")
                            .path("config");
                    assertEquals(3, config.path("default.replication.factor").asInt(), config.toString());
                    assertEquals(2, config.path("min.insync.replicas").asInt(), config.toString());
                    assertEquals(3, config.path("offsets.topic.replication.factor").asInt(), config.toString());
                    checkBackups(docs, REPO.resolve("deploy/k8s/overlays/prod"));
                }
                // the state Redis keeps an append-only file on a claimed volume: revocations survive a restart
                JsonNode redis = byName(docs, "Deployment").get("redis").path("spec").path("template").path("spec");
                String args = redis.path("containers").get(0).path("args").toString();
                assertTrue(args.contains("\"--appendonly\",\"yes\""), args);
                String claim = redis.path("volumes").get(0).path("persistentVolumeClaim").path("claimName").asText();
                assertTrue(byName(docs, "PersistentVolumeClaim").containsKey(claim), "no claim " + claim);
            } catch (AssertionError e) {
                throw new AssertionError("overlay " + overlay + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * PostgreSQL is archived and backed up to object storage, nightly, with credentials from a Secret, and the
     * documented point-in-time recovery reads the same store. Without kubectl the overlay's patch is read as written.
     */
    private static void checkBackups(List<JsonNode> docs, Path overlay) throws Exception {
        JsonNode cluster = byName(docs, "Cluster").get("meridian-pg");
        JsonNode backup = cluster.path("spec").path("backup");
        if (backup.isMissingNode()) {
            for (JsonNode patch : YAML.readTree(overlay.resolve("kustomization.yaml").toFile()).path("patches")) {
                if (patch.path("target").path("kind").asText().equals("Cluster")) {
                    for (JsonNode op : YAML.readTree(patch.path("patch").asText())) {
                        if (op.path("path").asText().equals("/spec/backup")) {
                            backup = op.path("value");
                        }
                    }
                }
            }
        }
        JsonNode store = backup.path("barmanObjectStore");
        assertTrue(store.path("destinationPath").asText().startsWith("s3://"), "no object store: " + backup);
        assertEquals("meridian-backup-s3", store.path("s3Credentials").path("accessKeyId").path("name").asText());
        assertFalse(byName(docs, "Secret").containsKey("meridian-backup-s3"), "the bucket's credentials are committed");
        assertEquals("gzip", store.path("wal").path("compression").asText(), "WAL is not archived compressed");
        JsonNode scheduled = byName(docs, "ScheduledBackup").get("meridian-pg-nightly");
        assertEquals("meridian-pg", scheduled.path("spec").path("cluster").path("name").asText());
        assertEquals(6, scheduled.path("spec").path("schedule").asText().split(" ").length, "CNPG cron has seconds");
        JsonNode recovery = YAML.readTree(REPO.resolve("deploy/k8s/recovery/meridian-pg-recovery.yaml").toFile());
        JsonNode from = recovery.path("spec").path("externalClusters").get(0);
        assertEquals(from.path("name").asText(), recovery.path("spec").path("bootstrap").path("recovery")
                .path("source").asText());
        assertEquals(store.path("destinationPath").asText(), from.path("barmanObjectStore").path("destinationPath")
                .asText(), "recovery reads another store than backups write");
        assertTrue(recovery.path("spec").path("bootstrap").path("recovery").path("recoveryTarget").has("targetTime"));
    }

    private void checkKubernetes(List<JsonNode> docs) throws Exception {
        Map<String, String> images = images();
        Map<String, JsonNode> deployments = byName(docs, "Deployment");
        Map<String, JsonNode> services = byName(docs, "Service");
        Map<String, JsonNode> configMaps = byName(docs, "ConfigMap");
        assertTrue(deployments.keySet().containsAll(SERVICES), deployments.keySet().toString());

        for (var deployment : deployments.entrySet()) {
            String name = deployment.getKey();
            JsonNode pod = deployment.getValue().path("spec").path("template").path("spec");
            assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean(), name + " may run as root");
            for (JsonNode container : pod.path("containers")) {
                String where = name + "/" + container.path("name").asText();
                assertPinned(container.path("image").asText(), where);
                for (String kind : List.of("requests", "limits")) {
                    for (String resource : List.of("cpu", "memory")) {
                        assertTrue(container.path("resources").path(kind).has(resource), where + " has no " + kind
                                + "." + resource);
                    }
                }
                JsonNode security = container.path("securityContext");
                assertFalse(security.path("allowPrivilegeEscalation").asBoolean(true), where + " may escalate");
                assertTrue(security.path("readOnlyRootFilesystem").asBoolean(), where + " writes its root fs");
                assertTrue(container.has("readinessProbe") && container.has("livenessProbe"), where + " lacks probes");
                assertEnvReferencesResolve(where, container.path("env"));
            }
        }

        for (String service : SERVICES) {
            JsonNode deployment = deployments.get(service);
            JsonNode container = deployment.path("spec").path("template").path("spec").path("containers").get(0);
            int port = port(service);
            assertEquals(images.get(service), container.path("image").asText(), service + " image");
            assertEquals(port, containerPort(container, "http"), service + " container port");
            Map<String, String> probes = Map.of("startupProbe", "/q/health/started",
                    "readinessProbe", "/q/health/ready", "livenessProbe", "/q/health/live");
            for (var probe : probes.entrySet()) {
                JsonNode get = container.path(probe.getKey()).path("httpGet");
                assertEquals(probe.getValue(), get.path("path").asText(), service + " " + probe.getKey());
                assertEquals(port, containerPort(container, get.path("port").asText()), service + " " + probe.getKey());
            }
            JsonNode k8sService = services.get(service);
            assertNotNull(k8sService, "no Service for " + service);
            JsonNode servicePort = k8sService.path("spec").path("ports").get(0);
            assertEquals(port, servicePort.path("port").asInt(), service + " Service port");
            assertEquals(port, containerPort(container, servicePort.path("targetPort").asText()),
                    service + " targetPort");
            assertTrue(selects(k8sService.path("spec").path("selector"), deployment),
                    service + " Service selects nothing");

            Map<String, String> env = new LinkedHashMap<>();
            for (JsonNode from : container.path("envFrom")) {
                JsonNode map = configMaps.get(from.path("configMapRef").path("name").asText());
                assertNotNull(map, service + " reads a ConfigMap that is not there: " + from);
                map.path("data").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
            }
            for (JsonNode variable : container.path("env")) {
                String name = variable.path("name").asText();
                boolean secret = variable.path("valueFrom").has("secretKeyRef");
                if (name.contains("PASSWORD") || name.contains("MASTER_KEY")) {
                    assertTrue(secret, service + ": " + name + " must come from a Secret");
                }
                env.put(name, variable.has("value") ? variable.path("value").asText()
                        : "(from " + variable.path("valueFrom") + ")");
            }
            assertServiceEnv(service, env, "kubernetes");
            for (String value : env.values()) {
                Matcher address = ADDRESS.matcher(value);
                while (address.find()) {
                    assertReachable(docs, services, address.group(1), Integer.parseInt(address.group(2)), service);
                }
            }
        }

        // the local rate-limit fallback divides by the gateway count
        JsonNode gateway = deployments.get("gateway-service");
        String instances = envValue(gateway, "MERIDIAN_GATEWAY_RATE_LIMITS_GATEWAY_INSTANCES");
        assertEquals(gateway.path("spec").path("replicas").asText(), instances, "gateway-instances vs replicas");

        Set<String> topics = new TreeSet<>(byName(docs, "KafkaTopic").keySet());
        assertEquals(new TreeSet<>(Topics.ALL), topics, "KafkaTopic resources vs event-bus topics");
        String kafka = byName(docs, "Kafka").keySet().iterator().next();
        for (JsonNode topic : byName(docs, "KafkaTopic").values()) {
            assertEquals(kafka, topic.path("metadata").path("labels").path("strimzi.io/cluster").asText());
            JsonNode spec = topic.path("spec");
            assertTrue(spec.path("partitions").asInt() > 0 && spec.path("replicas").asInt() > 0
                    && spec.path("config").has("retention.ms"), topic.toString());
        }

        for (String kind : List.of("HorizontalPodAutoscaler", "PodDisruptionBudget")) {
            for (var resource : byName(docs, kind).entrySet()) {
                assertTrue(deployments.containsKey(resource.getKey()),
                        kind + " " + resource.getKey() + " has no Deployment");
            }
        }
        assertEquals(Set.of("gateway-service", "inference-service"), byName(docs, "HorizontalPodAutoscaler").keySet());
        for (JsonNode pdb : byName(docs, "PodDisruptionBudget").values()) {
            assertTrue(deployments.values().stream().anyMatch(d -> selects(pdb.path("spec").path("selector")
                    .path("matchLabels"), d)), "PodDisruptionBudget selects nothing: " + pdb);
        }

        // every Deployment's pods are isolated by a policy, and only the gateway's admit traffic from anywhere
        List<JsonNode> policies = new ArrayList<>(byName(docs, "NetworkPolicy").values());
        for (var deployment : deployments.entrySet()) {
            assertTrue(policies.stream().anyMatch(p -> selects(p.path("spec").path("podSelector").path("matchLabels"),
                    deployment.getValue())), deployment.getKey() + " is not covered by a NetworkPolicy");
        }
        for (JsonNode policy : policies) {
            for (JsonNode rule : policy.path("spec").path("ingress")) {
                if (!rule.has("from")) {
                    assertEquals("gateway-service", policy.path("spec").path("podSelector").path("matchLabels")
                            .path("app.kubernetes.io/name").asText(), "open to anyone: " + policy);
                }
            }
        }
        for (JsonNode ingress : byName(docs, "Ingress").values()) {
            for (JsonNode backend : ingress.findValues("backend")) {
                assertEquals("gateway-service", backend.path("service").path("name").asText());
                assertEquals("http", backend.path("service").path("port").path("name").asText());
            }
        }
    }

    /** Every required variable set, tracing over OTLP, and no MERIDIAN_* variable the service does not read. */
    private static void assertServiceEnv(String service, Map<String, String> env, String where) throws Exception {
        Set<String> profiles = Set.of(env.getOrDefault("QUARKUS_PROFILE", "prod").split(","));
        Set<String> missing = new TreeSet<>(requiredEnv(service, profiles));
        missing.removeAll(env.keySet());
        assertTrue(missing.isEmpty(), where + ": " + service + " needs " + missing);
        assertEquals("false", env.get("MERIDIAN_OTEL_DISABLED"), where + ": " + service + " traces nothing");
        assertEquals("otlp", env.getOrDefault("MERIDIAN_TRACING_EXPORTER", "otlp"), where + ": " + service);
        Set<String> unknown = new TreeSet<>();
        Set<String> known = knownMeridianEnv(service);
        for (String name : env.keySet()) {
            if (name.startsWith("MERIDIAN_") && !known.contains(name)) {
                unknown.add(name);
            }
        }
        assertTrue(unknown.isEmpty(), where + ": " + service + " does not read " + unknown);
    }

    /** $(VAR) in an env value only works for a variable defined earlier in the list; names are unique. */
    private static void assertEnvReferencesResolve(String where, JsonNode env) {
        Set<String> defined = new LinkedHashSet<>();
        for (JsonNode variable : env) {
            Matcher reference = Pattern.compile("\\$\\(([A-Z0-9_]+)\\)").matcher(variable.path("value").asText());
            while (reference.find()) {
                assertTrue(defined.contains(reference.group(1)), where + ": $(" + reference.group(1)
                        + ") used before it is defined");
            }
            assertTrue(defined.add(variable.path("name").asText()), where + ": " + variable.path("name") + " twice");
        }
    }

    /** host:port from a service's settings: one of our Services, or one an operator creates for its resource. */
    private static void assertReachable(List<JsonNode> docs, Map<String, JsonNode> services, String host, int port,
                                        String from) {
        if (host.contains(".")) {
            return; // another namespace (the tracing backend): not part of these manifests
        }
        Set<Integer> ports = new HashSet<>();
        if (services.containsKey(host)) {
            services.get(host).path("spec").path("ports").forEach(p -> ports.add(p.path("port").asInt()));
        }
        for (JsonNode kafka : byName(docs, "Kafka").values()) {
            if (host.equals(kafka.path("metadata").path("name").asText() + "-kafka-bootstrap")) {
                kafka.path("spec").path("kafka").path("listeners").forEach(l -> ports.add(l.path("port").asInt()));
            }
        }
        for (String cluster : byName(docs, "Cluster").keySet()) {
            if (host.equals(cluster + "-rw")) {
                ports.add(5432);
            }
        }
        assertTrue(ports.contains(port), from + " calls " + host + ":" + port + ", which nothing serves");
    }

    private static String envValue(JsonNode deployment, String name) {
        for (JsonNode variable : deployment.findValues("env").get(0)) {
            if (variable.path("name").asText().equals(name)) {
                return variable.path("value").asText();
            }
        }
        throw new AssertionError(name + " not set on " + deployment.path("metadata").path("name"));
    }

    private static int containerPort(JsonNode container, String nameOrNumber) {
        if (nameOrNumber.matches("\\d+")) {
            return Integer.parseInt(nameOrNumber);
        }
        for (JsonNode port : container.path("ports")) {
            if (port.path("name").asText().equals(nameOrNumber)) {
                return port.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no port named " + nameOrNumber + " on " + container.path("name"));
    }

    private static boolean selects(JsonNode selector, JsonNode deployment) {
        JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
        if (selector.isEmpty()) {
            return false;
        }
        for (var label : selector.properties()) {
            if (!label.getValue().asText().equals(labels.path(label.getKey()).asText())) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, JsonNode> byName(List<JsonNode> docs, String kind) {
        Map<String, JsonNode> named = new LinkedHashMap<>();
        for (JsonNode doc : docs) {
            if (doc.path("kind").asText().equals(kind)) {
                assertFalse(named.containsKey(doc.path("metadata").path("name").asText()), "two " + kind + " " + doc);
                named.put(doc.path("metadata").path("name").asText(), doc);
            }
        }
        return named;
    }

    private static void assertPinned(String image, String where) {
        int slash = image.lastIndexOf('/');
        String tag = image.substring(slash + 1).contains(":") ? image.substring(image.lastIndexOf(':') + 1) : "";
        assertFalse(tag.isEmpty() || tag.equals("latest"), where + " uses an unpinned image: " + image);
    }

    /** kubectl kustomize when kubectl is installed; otherwise the resources as they are, with the images mapping. */
    private static List<JsonNode> render(Path overlay) throws Exception {
        Optional<Path> kubectl = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "kubectl")).filter(Files::isExecutable).findFirst();
        if (kubectl.isPresent()) {
            Process process = new ProcessBuilder(kubectl.get().toString(), "kustomize", overlay.toString()).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(2, TimeUnit.MINUTES), "kubectl kustomize hung");
            assertEquals(0, process.exitValue(), "kubectl kustomize " + overlay + " failed:\n" + err);
            return readAll(out);
        }
        List<JsonNode> docs = new ArrayList<>();
        Map<String, String> images = new HashMap<>();
        collect(overlay, docs, images);
        for (JsonNode doc : docs) {
            for (JsonNode container : doc.findValues("containers")) {
                for (JsonNode c : container) {
                    String image = c.path("image").asText();
                    if (images.containsKey(image)) {
                        ((com.fasterxml.jackson.databind.node.ObjectNode) c).put("image", images.get(image));
                    }
                }
            }
        }
        return docs;
    }

    private static void collect(Path dir, List<JsonNode> docs, Map<String, String> images) throws Exception {
        JsonNode kustomization = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
        for (JsonNode image : kustomization.path("images")) {
            images.put(image.path("name").asText(),
                    image.path("newName").asText() + ":" + image.path("newTag").asText());
        }
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                collect(path, docs, images);
            } else {
                assertTrue(Files.exists(path), "missing resource " + path);
                docs.addAll(readAll(Files.readString(path)));
            }
        }
    }

    private static List<JsonNode> readAll(String yaml) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (var values = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (values.hasNext()) {
                JsonNode doc = values.next();
                if (doc != null && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        if (docs.isEmpty()) {
            fail("no Kubernetes resources rendered");
        }
        return docs;
    }
}
