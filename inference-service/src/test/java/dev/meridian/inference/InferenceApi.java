package dev.meridian.inference;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** Calls to the service's HTTP API, as clients make them. */
final class InferenceApi {

    static final String MODEL = "all-minilm-l6-v2";

    /**
     * The user these calls are made as (every /v1 call needs a token). Chosen so that A/B splits, which follow the
     * caller when no end user is named, send them to the default version: tests naming only the id get it.
     */
    static final UUID USER = onDefaultVersion();

    private static final String TOKEN = JobsTest.token(USER);

    private InferenceApi() {
    }

    /** A request with the bearer token of {@link #USER}. */
    static RequestSpecification authorized() {
        return given().header("Authorization", "Bearer " + TOKEN);
    }

    static Response post(String path, Object body) {
        return authorized().contentType(ContentType.JSON).body(body).when().post(path);
    }

    static Response embed(Map<String, Object> body) {
        return post("/v1/embeddings", body);
    }

    /** The float vectors of a successful float-format embeddings response, in index order. */
    static List<float[]> vectors(Response response) {
        List<List<Number>> data = response.then().statusCode(200).extract().path("data.embedding");
        return data.stream().map(InferenceApi::toFloats).toList();
    }

    static float[] toFloats(List<Number> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    /** A user id in A/B bucket 30-99, outside the 30% the tests send to fp32 (ModelRegistry's bucketing). */
    private static UUID onDefaultVersion() {
        for (int i = 0; ; i++) {
            UUID user = UUID.nameUUIDFromBytes(("inference-api-" + i).getBytes(StandardCharsets.UTF_8));
            try {
                byte[] hash = MessageDigest.getInstance("SHA-256").digest(user.toString()
                        .getBytes(StandardCharsets.UTF_8));
                if (Integer.toUnsignedLong(ByteBuffer.wrap(hash).getInt()) % 100 >= 30) {
                    return user;
                }
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Sum of every sample of a Prometheus metric whose labels contain all the given fragments. */
    static double metric(String name, String... labelFragments) {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean matches = true;
            for (String fragment : labelFragments) {
                matches &= line.contains(fragment);
            }
            if (matches) {
                // "name{labels} value", maybe followed by an exemplar: " # {trace_id=...} value timestamp"
                String sample = line.contains(" # ") ? line.substring(0, line.indexOf(" # ")) : line;
                sum += Double.parseDouble(sample.substring(sample.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
