import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fairness figure: tenant A keeps three 2048-input embedding requests in flight while tenant B sends one input
 * at a time. B's latency unloaded and under A's load, A's and B's answers, the duration of A's full batches (while
 * only A is queued: the batches B waits behind) and the mean of all batches, in the same run. JDK only; talks to a running platform (user-service for two accounts, inference-service directly).
 *
 *   java FairnessBench.java USER_SERVICE_URL INFERENCE_URL SECONDS
 */
public class FairnessBench {

    /**
     * Each tenant is its own client with its own connections, over HTTP/1.1 as OpenAI's SDKs speak it: one shared
     * HTTP/2 connection would put B's answers behind A's megabytes on one TCP stream, which no scheduler can undo.
     */
    private static final HttpClient HTTP = client();
    private static final HttpClient TENANT_A = client();
    private static final HttpClient TENANT_B = client();
    private static final Random RANDOM = new Random(7);
    /** How A asks for its vectors: OpenAI's SDKs ask for base64 by default; A_ENCODING=float for JSON arrays. */
    private static final String ENCODING = System.getenv().getOrDefault("A_ENCODING", "base64");

    public static void main(String[] args) throws Exception {
        String users = args[0];
        String inference = args[1];
        int seconds = Integer.parseInt(args[2]);
        String a = token(users);
        String b = token(users);

        List<Long> unloaded = measure(inference, b, seconds, new AtomicInteger());
        double[] before = batches(inference);
        AtomicBoolean loading = new AtomicBoolean(true);
        Map<Integer, AtomicInteger> aStatuses = new ConcurrentHashMap<>();
        List<Thread> tenantA = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread thread = new Thread(() -> {
                while (loading.get()) {
                    int status = post(TENANT_A, inference, a, inputs(2048), ENCODING);
                    aStatuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    if (status == 429) {
                        pause(1000); // its Retry-After, as a well-behaved client waits
                    }
                }
            });
            thread.start();
            tenantA.add(thread);
        }
        pause(3000); // A's backlog builds up before B is measured
        double[] aloneFrom = batches(inference);
        pause(5000);
        double[] aloneTo = batches(inference);
        // the batches B waits behind: A's, full, while only A is queued (B's single inputs make short batches of
        // their own, which would shrink the mean)
        double aBatchMs = (aloneTo[0] - aloneFrom[0]) / Math.max(1, aloneTo[1] - aloneFrom[1]) * 1000;
        AtomicInteger bRefused = new AtomicInteger();
        List<Long> loaded = measure(inference, b, seconds, bRefused);
        double[] after = batches(inference);
        loading.set(false);
        for (Thread thread : tenantA) {
            thread.join();
        }
        double batchMs = (after[0] - before[0]) / Math.max(1, after[1] - before[1]) * 1000;
        System.out.printf("B unloaded: %d requests, p50 %.1f ms, p99 %.1f ms%n", unloaded.size(),
                percentile(unloaded, 50), percentile(unloaded, 99));
        System.out.printf("B while A keeps 3 x 2048 inputs in flight: %d requests, p50 %.1f ms, p99 %.1f ms, %d not 200%n",
                loaded.size(), percentile(loaded, 50), percentile(loaded, 99), bRefused.get());
        System.out.printf("A's answers (%s vectors): %s; mean batch duration (A's and B's) %.1f ms over %.0f batches%n", ENCODING, aStatuses, batchMs,
                after[1] - before[1]);
        System.out.printf("A's batches while only A is queued: mean %.1f ms over %.0f batches%n", aBatchMs,
                aloneTo[1] - aloneFrom[1]);
        double growth = percentile(loaded, 99) - percentile(unloaded, 99);
        System.out.printf("B's p99 grew by %.1f ms = %.2f of A's batches (goal: at most 3), %.2f mean batches%n",
                growth, growth / aBatchMs, growth / batchMs);
    }

    /** B's single-input requests, one after the other, for the given time: their latencies in microseconds. */
    private static List<Long> measure(String inference, String token, int seconds, AtomicInteger notOk) {
        List<Long> latencies = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            int status = post(TENANT_B, inference, token, inputs(1), "float");
            latencies.add((System.nanoTime() - start) / 1000);
            if (status != 200) {
                notOk.incrementAndGet();
            }
        }
        return latencies;
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static int post(HttpClient client, String inference, String token, List<String> inputs, String encoding) {
        StringBuilder json = new StringBuilder("{\"encoding_format\":\"" + encoding + "\",\"input\":[");
        for (int i = 0; i < inputs.size(); i++) {
            json.append(i == 0 ? "\"" : ",\"").append(inputs.get(i)).append('"');
        }
        json.append("]}");
        try {
            return client.send(HttpRequest.newBuilder(URI.create(inference + "/v1/embeddings"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(json.toString())).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Fresh sentences every time: the service's cache and its merging of identical inputs must not help. */
    private static List<String> inputs(int n) {
        String[] words = "the a model gateway request user token river mountain quick brown fox jumps over lazy dog"
                .split(" ");
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder s = new StringBuilder(UUID.randomUUID().toString());
            int length = 5 + RANDOM.nextInt(30);
            for (int w = 0; w < length; w++) {
                s.append(' ').append(words[RANDOM.nextInt(words.length)]);
            }
            out.add(s.toString());
        }
        return out;
    }

    /** A new account and its access token. */
    private static String token(String users) throws Exception {
        String email = "fair-" + UUID.randomUUID() + "@example.com";
        String password = "correct horse battery staple";
        send(users + "/v1/users", "{\"email\":\"" + email + "\",\"password\":\"" + password
                + "\",\"displayName\":\"Fairness bench\"}");
        String body = send(users + "/v1/auth/token", "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}");
        Matcher m = Pattern.compile("\"access_token\":\"([^\"]+)\"").matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("no token: " + body);
        }
        return m.group(1);
    }

    private static String send(String url, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The model's batch duration sum (seconds) and count so far, over every model version. */
    private static double[] batches(String inference) throws Exception {
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(inference + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        double count = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("meridian_inference_batch_duration_seconds_sum{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            } else if (line.startsWith("meridian_inference_batch_duration_seconds_count{")) {
                count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return new double[]{sum, count};
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static double percentile(List<Long> micros, int p) {
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index)) / 1000.0;
    }
}
