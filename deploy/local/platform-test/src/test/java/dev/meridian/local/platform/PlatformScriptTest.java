package dev.meridian.local.platform;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.ResourceOwnerPasswordCredentialsGrant;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.openai.client.OpenAIClient;
import dev.meridian.local.infra.LocalKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.meridian.local.infra.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.meridian.local.platform.LocalPlatform.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "run it" command, end to end: {@code ./platform up --detach} brings up every component,
 * {@code status} sees them ready, {@code down} leaves no process behind, and a second {@code up} keeps the data.
 * Free ports and a throwaway platform directory keep it clear of a platform a developer may be running.
 */
class PlatformScriptTest {

    private static final List<String> COMPONENTS = List.of(
            "postgresql", "redis", "redis-cache", "kafka", "zipkin", "gateway-service", "user-service",
            "inference-service");

    @TempDir
    Path platformDir;
    private LocalPlatform platform;
    private int[] ports;

    @BeforeEach
    void freePorts() {
        platform = new LocalPlatform(platformDir);
        ports = platform.ports;
    }

    @AfterEach
    void alwaysDown() throws Exception {
        platform.run("down");
    }

    @Test
    void upStatusDownAndUpAgainKeepsData() throws Exception {
        LocalPlatform.Result up = platform.run("up", "--detach", "--no-build");
        assertEquals(0, up.exitCode(), up.output());
        for (String component : COMPONENTS) {
            assertTrue(up.output().lines().anyMatch(l -> l.startsWith(component + " ") && l.contains(" ready ")),
                    component + " is not reported ready:\n" + up.output());
        }
        LocalPlatform.Result status = platform.run("status");
        assertEquals(0, status.exitCode(), status.output());

        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[4] + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertTrue(health.body().contains("\"status\": \"UP\""), health.body());

        // through the gateway: sign up and log in at user-service, then a protected call verified at the edge
        String account = "{\"email\":\"platform-test@example.com\",\"password\":\"a long enough password\","
                + "\"displayName\":\"Platform\"}";
        assertEquals(201, post(ports[4], "/v1/users", account).statusCode());
        HttpResponse<String> login = post(ports[4], "/v1/auth/token",
                "{\"email\":\"platform-test@example.com\",\"password\":\"a long enough password\"}");
        assertEquals(200, login.statusCode(), login.body());
        String token = login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> me = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports[4] + "/v1/users/me"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, me.statusCode(), me.body());
        assertTrue(me.body().contains("platform-test@example.com"), me.body());
        // an API key works as a bearer credential at the gateway (exchanged with user-service for a JWT)
        HttpResponse<String> created = platform.send(token, "POST", "/v1/users/me/api-keys", "{\"name\":\"sdk\"}");
        assertEquals(201, created.statusCode(), created.body());
        String apiKey = created.body().replaceAll(".*\"key\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> withKey = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports[4] + "/v1/users/me"))
                .header("Authorization", "Bearer " + apiKey).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, withKey.statusCode(), withKey.body());
        // an OpenID Connect client configures itself from the issuer URL alone (the gateway's, the tokens' iss):
        // discovery, the token endpoint, the signing keys and UserInfo, all found through the document
        Issuer issuer = new Issuer("http://localhost:" + ports[4]);
        OIDCProviderMetadata provider = OIDCProviderMetadata.resolve(issuer);
        TokenResponse granted = TokenResponse.parse(new TokenRequest(provider.getTokenEndpointURI(),
                new ClientID("platform-test"), new ResourceOwnerPasswordCredentialsGrant("platform-test@example.com",
                        new Secret("a long enough password"))).toHTTPRequest().send());
        assertTrue(granted.indicatesSuccess(), () -> granted.toErrorResponse().getErrorObject().toString());
        BearerAccessToken oidcToken = (BearerAccessToken) granted.toSuccessResponse().getTokens().getAccessToken();
        SignedJWT jwt = SignedJWT.parse(oidcToken.getValue());
        RSAKey signingKey = (RSAKey) JWKSet.load(provider.getJWKSetURI().toURL())
                .getKeyByKeyId(jwt.getHeader().getKeyID());
        assertTrue(jwt.verify(new RSASSAVerifier(signingKey)), "the token does not verify with the discovered keys");
        assertEquals(issuer.getValue(), jwt.getJWTClaimsSet().getIssuer());
        UserInfoResponse userInfo = UserInfoResponse.parse(new UserInfoRequest(provider.getUserInfoEndpointURI(),
                oidcToken).toHTTPRequest().send());
        assertTrue(userInfo.indicatesSuccess(), () -> userInfo.toErrorResponse().getErrorObject().toString());
        assertEquals("platform-test@example.com", userInfo.toSuccessResponse().getUserInfo().getEmailAddress());
        // what an OpenAI SDK does with baseURL = gateway /v1 and the Meridian key: embeddings from inference-service
        HttpResponse<String> embedded = platform.send(apiKey, "POST", "/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello platform\",\"encoding_format\":\"base64\"}");
        assertEquals(200, embedded.statusCode(), embedded.body());
        String vector = embedded.body().replaceAll(".*\"embedding\":\"([^\"]+)\".*", "$1");
        assertEquals(384 * 4, java.util.Base64.getDecoder().decode(vector).length, embedded.body());
        // the model list is marked cacheable by inference-service, so the gateway answers the second ask itself
        platform.send(apiKey, "GET", "/v1/models", "");
        HttpResponse<String> models = platform.send(apiKey, "GET", "/v1/models", "");
        assertEquals(200, models.statusCode(), models.body());
        assertEquals("HIT", models.headers().firstValue("X-Cache").orElse(""), models.headers().toString());
        // one API description for the whole platform, built from both services' documents
        HttpResponse<String> openApi = platform.send(apiKey, "GET", "/openapi", "");
        assertEquals(200, openApi.statusCode(), openApi.body());
        for (String path : List.of("\"/v1/embeddings\"", "\"/v1/users/me\"", "\"/v1/collections\"", "\"/v1/jobs\"")) {
            assertTrue(openApi.body().contains(path), path + " missing from " + openApi.body());
        }
        assertFalse(openApi.body().contains("x-meridian-unavailable"), openApi.body());
        // an async job: accepted by inference-service (which verifies the token itself), run by its Kafka worker
        HttpResponse<String> job = platform.send(apiKey, "POST", "/v1/jobs",
                "{\"type\":\"embed_batch\",\"inputs\":[\"a\",\"b\"]}");
        assertEquals(202, job.statusCode(), job.body());
        String jobId = job.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
        HttpRequest jobStatus = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[4] + "/v1/jobs/" + jobId))
                .header("Authorization", "Bearer " + apiKey).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String state = "";
        while (!state.contains("\"status\":\"completed\"") && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(100); // poll interval (the gateway rate-limits a tight loop)
            state = HttpClient.newHttpClient().send(jobStatus, HttpResponse.BodyHandlers.ofString()).body();
        }
        assertTrue(state.contains("\"status\":\"completed\""), state);
        // the OpenAI SDK's Batch API through the gateway: a multipart upload, a batch, its output file
        OpenAIClient openAi = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + ports[4] + "/v1")
                .apiKey(apiKey).maxRetries(0).responseValidation(true).build();
        try {
            FileObject requests = openAi.files().create(FileCreateParams.builder().purpose(FilePurpose.BATCH)
                    .file(("{\"custom_id\":\"first\",\"method\":\"POST\",\"url\":\"/v1/embeddings\","
                            + "\"body\":{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello platform\"}}\n")
                            .getBytes(StandardCharsets.UTF_8)).build());
            Batch batch = openAi.batches().create(BatchCreateParams.builder().inputFileId(requests.id())
                    .endpoint(BatchCreateParams.Endpoint.V1_EMBEDDINGS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
            long batchDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (batch.status() != Batch.Status.COMPLETED && System.nanoTime() < batchDeadline) {
                TimeUnit.MILLISECONDS.sleep(100); // poll interval
                batch = openAi.batches().retrieve(batch.id());
            }
            assertEquals(Batch.Status.COMPLETED, batch.status(), batch.toString());
            try (com.openai.core.http.HttpResponse output = openAi.files().content(batch.outputFileId().orElseThrow())) {
                String line = new String(output.body().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(line.startsWith("{") && line.contains("\"custom_id\":\"first\"")
                        && line.contains("\"status_code\":200"), line);
            }
        } finally {
            openAi.close();
        }
        // each of those requests is one trace, from the gateway through the services and across Kafka
        // spans arrive in export batches: wait for the deepest one asserted, not just the consumer's
        List<Span> signUp = trace("signup", spans -> spans.stream().anyMatch(
                s -> s.is("inference-service", "CLIENT", "insert user_profiles")));
        Span gatewayServer = signUp.stream().filter(s -> s.is("gateway-service", "SERVER", "")).findFirst().orElseThrow();
        assertNull(gatewayServer.parentId(), "the gateway's span should start the trace: " + signUp);
        Span userServer = childOf(signUp, childOf(signUp, gatewayServer, "gateway-service", "CLIENT", "post"),
                "user-service", "SERVER", "post /v1/users");
        childOf(signUp, userServer, "user-service", "CLIENT", "insert outbox");
        childOf(signUp, childOf(signUp, userServer, "inference-service", "CONSUMER", "users.v1"),
                "inference-service", "CLIENT", "insert user_profiles");

        List<Span> jobTrace = trace("jobs", spans -> spans.stream().anyMatch(
                s -> s.is("inference-service", "CLIENT", "update jobs")));
        Span jobGateway = jobTrace.stream().filter(s -> s.is("gateway-service", "SERVER", "")).findFirst().orElseThrow();
        // the limiter's Redis call, when it answered within its deadline (else the request went on without it)
        List<Span> limited = trace("jobs", spans -> spans.stream().anyMatch(s -> s.is("gateway-service", "SERVER", "")
                && "allowed".equals(s.tags().get("meridian.ratelimit"))));
        childOf(limited, childOf(limited, limited.stream().filter(s -> s.is("gateway-service", "SERVER", ""))
                        .findFirst().orElseThrow(), "gateway-service", "", "rate limit"),
                "gateway-service", "CLIENT", "evalsha");
        Span jobServer = childOf(jobTrace, childOf(jobTrace, jobGateway, "gateway-service", "CLIENT", "post"),
                "inference-service", "SERVER", "post /v1/jobs");
        childOf(jobTrace, childOf(jobTrace, jobServer, "inference-service", "CONSUMER", "inference.jobs.v1"),
                "inference-service", "CLIENT", "update jobs");

        // the embedding waited in the micro-batcher: its span is in the request's trace, the batch's in its own
        List<Span> embedTrace = trace("embeddings", spans -> spans.stream().anyMatch(
                s -> s.is("inference-service", "", " embed")));
        Span embedServer = childOf(embedTrace, childOf(embedTrace, embedTrace.stream()
                        .filter(s -> s.is("gateway-service", "SERVER", "")).findFirst().orElseThrow(),
                "gateway-service", "CLIENT", "post"), "inference-service", "SERVER", "post /v1/embeddings");
        childOf(embedTrace, embedServer, "inference-service", "", " embed");
        // and the server span speaks OpenTelemetry's GenAI conventions too
        assertEquals("embeddings", embedServer.tags().get("gen_ai.operation.name"), embedServer.toString());
        assertEquals("all-minilm-l6-v2", embedServer.tags().get("gen_ai.request.model"), embedServer.toString());
        assertTrue(Integer.parseInt(embedServer.tags().getOrDefault("gen_ai.usage.input_tokens", "0")) > 0,
                embedServer.toString());

        // every request above left its line in the gateway's access log, and no log holds a secret or the email
        String gatewayLog = Files.readString(platformDir.resolve("logs/gateway-service.log"));
        assertTrue(gatewayLog.contains("POST /v1/embeddings route=embeddings status=200 "), gatewayLog);
        try (var logs = Files.list(platformDir.resolve("logs"))) {
            for (Path log : logs.toList()) {
                String text = Files.readString(log);
                for (String secret : List.of("a long enough password", token, apiKey, "platform-test@example.com")) {
                    assertFalse(text.contains(secret), log.getFileName() + " contains a secret or the full email");
                }
            }
        }

        sql("CREATE TABLE survivor (name text); INSERT INTO survivor VALUES ('still here')");
        List<Long> pids = componentPids();
        assertEquals(COMPONENTS.size(), pids.size());

        LocalPlatform.Result down = platform.run("down");
        assertEquals(0, down.exitCode(), down.output());
        // a normal run, shutdown included, leaves nothing for an operator's error alert
        for (String service : List.of("gateway-service", "user-service", "inference-service")) {
            String log = Files.readString(platformDir.resolve("logs/" + service + ".log"));
            assertFalse(log.lines().anyMatch(line -> line.contains(" ERROR ")), service + " logged an error:\n" + log);
        }
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "process " + pid + " survived ./platform down");
        }
        for (int port : ports) {
            assertFalse(Ports.accepts(port), "port " + port + " still open after ./platform down");
        }

        LocalPlatform.Result again = platform.run("up", "--detach", "--no-build");
        assertEquals(0, again.exitCode(), again.output());
        // the account, and the signing key encrypted under the kept master key, survived the restart
        assertEquals(200, post(ports[5], "/v1/auth/token",
                "{\"email\":\"platform-test@example.com\",\"password\":\"a long enough password\"}").statusCode());
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + ports[0] + "/meridian_users", "postgres", "postgres");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name FROM survivor")) {
            assertTrue(rs.next(), "data written before ./platform down is gone");
            assertEquals("still here", rs.getString(1));
        }
    }

    /**
     * Two inference-service instances share the job topic as one consumer group; killing the one running a job (no
     * shutdown, like a crash) loses nothing: the other picks the job up, runs it again and it completes exactly once.
     * Then the user erases their account at user-service, and inference-service deletes their jobs and collections.
     */
    @Test
    void twoInferenceInstancesShareJobsAKilledWorkersJobFinishesOnceAndErasureLeavesNothing() throws Exception {
        LocalPlatform.Result up = platform.run("up", "--detach", "--no-build", "--inference-instances=2");
        assertEquals(0, up.exitCode(), up.output());
        assertTrue(up.output().lines().anyMatch(l -> l.startsWith("inference-service-2 ") && l.contains(" ready ")),
                up.output());
        Map<String, Long> pids = new HashMap<>();
        for (String line : Files.readAllLines(platformDir.resolve("run/components.tsv"))) {
            String[] fields = line.split("\t");
            pids.put(fields[0], Long.parseLong(fields[4]));
        }
        Set<Long> workers = Set.of(pids.get("inference-service"), pids.get("inference-service-2"));

        String credentials = "\"email\":\"workers@example.com\",\"password\":\"a long enough password\"";
        assertEquals(201, post(ports[4], "/v1/users", "{" + credentials + ",\"displayName\":\"Workers\"}").statusCode());
        HttpResponse<String> login = post(ports[4], "/v1/auth/token", "{" + credentials + "}");
        assertEquals(200, login.statusCode(), login.body());
        String token = login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");

        // small jobs until both instances have run one (3 partitions, keys are random job ids)
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 40 && seen.size() < 2; i++) {
            String id = submit(token, "[\"share " + i + "\"]");
            seen.add(awaitJob(id, row -> row.status.equals("COMPLETED")).workerPid());
        }
        assertEquals(workers, seen, "both instances take jobs from inference.jobs.v1");
        assertEquals(201, platform.send(token, "POST", "/v1/collections", "{\"name\":\"notes\"}").statusCode());
        HttpResponse<String> stored = platform.send(token, "POST", "/v1/collections/notes/documents",
                "{\"documents\":[{\"id\":\"n1\",\"text\":\"my private note\"}]}");
        assertEquals(200, stored.statusCode(), stored.body());

        StringBuilder inputs = new StringBuilder("[");
        for (int i = 0; i < 2000; i++) {
            inputs.append(i == 0 ? "" : ",").append("\"failover input ").append(i).append(' ')
                    .append(UUID.randomUUID()).append('"');
        }
        String id = submit(token, inputs.append(']').toString());
        JobRow running = awaitJob(id, row -> row.status.equals("RUNNING") && row.done > 0);
        assertTrue(running.done < 2000, "the job must still be running when its worker dies: " + running);
        long victim = running.workerPid();
        assertTrue(ProcessHandle.of(victim).orElseThrow().destroyForcibly());

        JobRow finished = awaitJob(id, row -> row.status.equals("COMPLETED") || row.status.equals("FAILED"));
        assertEquals("COMPLETED", finished.status, finished.toString());
        assertEquals(2, finished.attempts, finished.toString());
        assertEquals(2000, finished.done);
        long survivor = workers.stream().filter(pid -> pid != victim).findFirst().orElseThrow();
        assertEquals(survivor, finished.workerPid());
        assertEquals(2000L * 384 * 4, finished.resultBytes);
        try (Connection c = inferenceDb(); var query = c.prepareStatement("SELECT count(*) FROM outbox"
                + " WHERE aggregate_id = ? AND event_type = 'dev.meridian.inference.job.completed.v1'")) {
            query.setString(1, id);
            try (ResultSet rs = query.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(1, rs.getLong(1), "exactly one InferenceJobCompleted");
            }
        }

        // GDPR erasure at user-service reaches inference-service over users.v1: nothing of the user's is left
        String user = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8)
                .replaceAll(".*\"sub\":\"([^\"]+)\".*", "$1");
        assertEquals(204, platform.send(token, "DELETE", "/v1/users/me",
                "{\"password\":\"a long enough password\"}").statusCode());
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String left = "";
        try (Connection c = inferenceDb(); var query = c.prepareStatement("SELECT (SELECT count(*) FROM jobs WHERE"
                + " user_id = ?::uuid) || ' jobs, ' || (SELECT count(*) FROM collections WHERE user_id = ?::uuid)"
                + " || ' collections, ' || (SELECT count(*) FROM documents d LEFT JOIN collections c ON"
                + " c.id = d.collection_id WHERE c.id IS NULL) || ' orphaned documents'")) {
            query.setString(1, user);
            query.setString(2, user);
            while (System.nanoTime() < deadline && !left.startsWith("0 jobs, 0 collections, 0")) {
                TimeUnit.MILLISECONDS.sleep(100); // poll interval
                try (ResultSet rs = query.executeQuery()) {
                    rs.next();
                    left = rs.getString(1);
                }
            }
        }
        assertEquals("0 jobs, 0 collections, 0 orphaned documents", left);
    }

    /**
     * The restore drill: state made through the gateway, the platform stopped and backed up, its data deleted, the
     * backup restored into the empty platform, started again: every account, job result, collection and revocation is
     * back, and no event is published twice (the outbox and the consumers resume where the backup left them).
     */
    @Test
    void aBackupRestoredIntoAnEmptyPlatformBringsEverythingBackAndRepublishesNothing() throws Exception {
        LocalPlatform.Result up = platform.run("up", "--detach", "--no-build");
        assertEquals(0, up.exitCode(), up.output());
        String credentials = "\"email\":\"restore@example.com\",\"password\":\"a long enough password\"";
        assertEquals(201, post(ports[4], "/v1/users", "{" + credentials + ",\"displayName\":\"Restore\"}").statusCode());
        HttpResponse<String> login = post(ports[4], "/v1/auth/token", "{" + credentials + "}");
        assertEquals(200, login.statusCode(), login.body());
        String token = login.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
        String refresh = login.body().replaceAll(".*\"refresh_token\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> revokedKey = platform.send(token, "POST", "/v1/users/me/api-keys", "{\"name\":\"old\"}");
        assertEquals(201, revokedKey.statusCode(), revokedKey.body());
        String oldKey = revokedKey.body().replaceAll(".*\"key\":\"([^\"]+)\".*", "$1");
        assertEquals(204, platform.send(token, "DELETE", "/v1/users/me/api-keys/"
                + revokedKey.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1"), "").statusCode());
        String key = platform.send(token, "POST", "/v1/users/me/api-keys", "{\"name\":\"kept\"}").body()
                .replaceAll(".*\"key\":\"([^\"]+)\".*", "$1");
        assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + ports[4] + "/v1/auth/revoke")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + refresh)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        String jobId = submit(key, "[\"kept through a restore\", \"and its twin\"]");
        awaitJob(jobId, row -> row.status.equals("COMPLETED"));
        String result = platform.send(key, "GET", "/v1/jobs/" + jobId + "/result", "").body();
        assertEquals(201, platform.send(key, "POST", "/v1/collections", "{\"name\":\"notes\"}").statusCode());
        assertEquals(200, platform.send(key, "POST", "/v1/collections/notes/documents",
                "{\"documents\":[{\"id\":\"n1\",\"text\":\"the cellar key is under the pot\"},"
                        + "{\"id\":\"n2\",\"text\":\"buy more coffee\"}]}").statusCode());
        String search = platform.send(key, "POST", "/v1/collections/notes/search", "{\"query\":\"where is the key\"}")
                .body();
        awaitOutboxesRelayed();
        assertEquals(0, platform.run("down").exitCode());
        Map<String, Long> published = endOffsets();

        Path backup = platformDir.resolve("backup-drill");
        LocalPlatform.Result backedUp = platform.run("backup", backup.toString());
        assertEquals(0, backedUp.exitCode(), backedUp.output());
        assertTrue(backedUp.output().contains("backup: data/postgresql"), backedUp.output());
        assertTrue(Files.exists(backup.resolve("data/redis")), "the state Redis is kept");
        assertFalse(Files.exists(backup.resolve("data/redis-cache")), "the cache Redis is not state");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(backup)), "a backup holds secrets: owner only");
        assertEquals(0, platform.run("reset").exitCode());

        // a damaged backup, or one of a newer schema than this build knows, is refused and nothing is restored
        Path manifest = backup.resolve("manifest.properties");
        String original = Files.readString(manifest);
        try (var migrations = Files.list(LocalPlatform.REPO.resolve("inference-service/src/main/resources/db/migration"))) {
            assertTrue(original.contains("schema.meridian_inference=" + migrations.count()), original);
        }
        Files.writeString(manifest, original.replaceAll("schema.meridian_users=\\d+", "schema.meridian_users=999"));
        LocalPlatform.Result newer = platform.run("restore", backup.toString());
        assertEquals(1, newer.exitCode(), newer.output());
        assertTrue(newer.output().contains("newer than this build's user-service knows"), newer.output());
        Files.writeString(manifest, original);
        Path secret = backup.resolve("secrets/users-master-key");
        byte[] key0 = Files.readAllBytes(secret);
        Files.write(secret, new byte[key0.length]);
        LocalPlatform.Result damaged = platform.run("restore", backup.toString());
        assertEquals(1, damaged.exitCode(), damaged.output());
        assertTrue(damaged.output().contains("secrets/users-master-key does not match its checksum"), damaged.output());
        assertFalse(Files.exists(platformDir.resolve("data/postgresql")), "a refused restore restored something");
        Files.write(secret, key0);

        LocalPlatform.Result restored = platform.run("restore", backup.toString());
        assertEquals(0, restored.exitCode(), restored.output());
        assertEquals(published, endOffsets(), "the restored Kafka holds exactly the records backed up");
        LocalPlatform.Result again = platform.run("up", "--detach", "--no-build");
        assertEquals(0, again.exitCode(), again.output());

        assertEquals(200, post(ports[4], "/v1/auth/token", "{" + credentials + "}").statusCode());
        assertEquals(401, platform.send(oldKey, "GET", "/v1/users/me", "").statusCode(), "a revoked key came back");
        assertEquals(400, post(ports[4], "/v1/auth/refresh", "{\"refresh_token\":\"" + refresh + "\"}").statusCode(),
                "a revoked refresh token came back");
        assertEquals(result, platform.send(key, "GET", "/v1/jobs/" + jobId + "/result", "").body());
        assertEquals(search, platform.send(key, "POST", "/v1/collections/notes/search",
                "{\"query\":\"where is the key\"}").body());
        // one new job runs to completion: its events are the only records added (none republished from before)
        awaitJob(submit(key, "[\"after the restore\"]"), row -> row.status.equals("COMPLETED"));
        JobRow old = awaitJob(jobId, row -> true);
        assertEquals(1, old.attempts, "the restored job was run again");
        awaitOutboxesRelayed();
        assertEquals(0, platform.run("down").exitCode());
        Map<String, Long> after = endOffsets();
        assertEquals(published.get("users.v1"), after.get("users.v1"), "user events republished");
        assertEquals(published.get("inference.jobs.v1") + 1, after.get("inference.jobs.v1"));
        assertEquals(published.get("inference.results.v1") + 1, after.get("inference.results.v1"));
    }

    /** Until both services' outboxes have published every event they hold (so counting records counts them all). */
    private void awaitOutboxesRelayed() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (String database : List.of("meridian_users", "meridian_inference")) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + ports[0] + "/" + database,
                    "postgres", "postgres");
                 Statement s = c.createStatement()) {
                long pending;
                do {
                    TimeUnit.MILLISECONDS.sleep(100); // poll interval
                    try (ResultSet rs = s.executeQuery("SELECT count(*) FROM outbox WHERE published_at IS NULL")) {
                        rs.next();
                        pending = rs.getLong(1);
                    }
                } while (pending > 0 && System.nanoTime() < deadline);
                assertEquals(0, pending, database + " still has events to publish");
            }
        }
    }

    /** Records in each topic, read from the stopped platform's Kafka started alone. */
    private Map<String, Long> endOffsets() throws Exception {
        LocalKafka kafka = new LocalKafka(ports[2], ports[3], platformDir.resolve("data/kafka"),
                platformDir.resolve("logs/kafka-offsets.log"));
        kafka.start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.address()))) {
            Map<String, Long> records = new java.util.TreeMap<>();
            for (String topic : List.of("users.v1", "inference.jobs.v1", "inference.results.v1")) {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                        .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
                long total = 0;
                for (var offset : admin.listOffsets(latest).all().get().values()) {
                    total += offset.offset();
                }
                records.put(topic, total);
            }
            return records;
        } finally {
            kafka.close();
        }
    }

    /** One span as Zipkin's API gives it. */
    private record Span(String service, String kind, String name, String id, String parentId,
                        Map<String, String> tags) {
        boolean is(String service, String kind, String nameContains) {
            return this.service.equals(service) && this.kind.equals(kind) && name.contains(nameContains);
        }
    }

    /** The first trace (read back from Zipkin) through gateway route {@code route} that {@code complete} accepts. */
    private List<Span> trace(String route, java.util.function.Predicate<List<Span>> complete) throws Exception {
        URI query = URI.create("http://127.0.0.1:" + ports[7] + "/api/v2/traces?serviceName=gateway-service&limit=50"
                + "&annotationQuery=meridian.route%3D" + route);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = HttpClient.newHttpClient().send(HttpRequest.newBuilder(query).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (var trace : json.readTree(last)) {
                List<Span> spans = new ArrayList<>();
                for (var span : trace) {
                    spans.add(new Span(span.path("localEndpoint").path("serviceName").asText(),
                            span.path("kind").asText(""), span.path("name").asText(""), span.path("id").asText(),
                            span.hasNonNull("parentId") ? span.get("parentId").asText() : null,
                            span.has("tags") ? json.convertValue(span.get("tags"),
                                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { })
                                    : Map.of()));
                }
                if (complete.test(spans)) {
                    return spans;
                }
            }
            TimeUnit.MILLISECONDS.sleep(250); // poll interval: spans are exported in batches every second
        }
        throw new AssertionError("no complete trace for route " + route + " in Zipkin: " + last);
    }

    private static Span childOf(List<Span> trace, Span parent, String service, String kind, String nameContains) {
        return trace.stream().filter(s -> parent.id().equals(s.parentId()) && s.is(service, kind, nameContains))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " span '" + nameContains + "' of "
                        + service + " under " + parent + " in " + trace));
    }

    private record JobRow(String status, int done, int attempts, String worker, long resultBytes) {
        long workerPid() {
            return Long.parseLong(worker.substring(0, worker.indexOf('@')));
        }
    }

    private String submit(String token, String inputs) throws Exception {
        HttpResponse<String> job = platform.send(token, "POST", "/v1/jobs",
                "{\"type\":\"embed_batch\",\"inputs\":" + inputs + "}");
        assertEquals(202, job.statusCode(), job.body());
        return job.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");
    }

    /** Polls the job's row in PostgreSQL (what every instance sees) until it satisfies the condition. */
    private JobRow awaitJob(String id, java.util.function.Predicate<JobRow> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JobRow row = null;
        try (Connection c = inferenceDb(); var query = c.prepareStatement("SELECT status, done_count, attempts, worker,"
                + " coalesce(length(result), 0) FROM jobs WHERE id = ?::uuid")) {
            query.setString(1, id);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = query.executeQuery()) {
                    if (rs.next()) {
                        row = new JobRow(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getString(4), rs.getLong(5));
                        if (condition.test(row)) {
                            return row;
                        }
                    }
                }
                TimeUnit.MILLISECONDS.sleep(50); // poll interval
            }
        }
        throw new AssertionError("job " + id + " never got there; last seen " + row);
    }

    private Connection inferenceDb() throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + ports[0] + "/meridian_inference",
                "postgres", "postgres");
    }

    @Test
    void aTakenPortFailsFastWithAClearMessage() throws Exception {
        try (var taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", ports[5]));
            LocalPlatform.Result up = platform.run("up", "--detach", "--no-build");
            assertEquals(1, up.exitCode(), up.output());
            assertTrue(up.output().contains("port " + ports[5] + " needed by user-service is already in use"), up.output());
        }
        assertTrue(componentPids().isEmpty(), "nothing should be left running after a failed start");
    }

    private void sql(String statements) throws Exception {
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + ports[0] + "/meridian_users", "postgres", "postgres");
             Statement s = c.createStatement()) {
            s.execute(statements);
        }
    }

    private List<Long> componentPids() throws IOException {
        Path file = platformDir.resolve("run/components.tsv");
        List<Long> pids = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    pids.add(Long.parseLong(line.split("\t")[4]));
                }
            }
        }
        return pids;
    }
}
