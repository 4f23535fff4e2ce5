package dev.meridian.inference;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.JobsTest.as;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** /v1/tokenize and /v1/detokenize in TEI's shape, counting exactly as /v1/embeddings bills. */
@QuarkusTest
class TokenizeTest {

    private final UUID user = UUID.randomUUID();

    @Test
    void tokensCarryIdsPiecesAndOffsetsAndDecodeBack() {
        JsonPath tokens = as(user).body(Map.of("inputs", "Hello, wörld!")).post("/v1/tokenize")
                .then().statusCode(200).extract().jsonPath();
        // bert-base-uncased's vocabulary, which all-MiniLM-L6-v2 uses
        assertEquals(List.of(101, 7592, 1010, 2088, 999, 102), tokens.getList("[0].id", Integer.class));
        assertEquals(List.of("[CLS]", "Hello", ",", "wörld", "!", "[SEP]"), tokens.getList("[0].text", String.class));
        assertEquals(List.of(true, false, false, false, false, true), tokens.getList("[0].special", Boolean.class));
        // character offsets into the text; special tokens have none
        assertEquals(Arrays.asList(null, 0, 5, 7, 12, null), tokens.getList("[0].start", Integer.class));
        assertEquals(Arrays.asList(null, 5, 6, 12, 13, null), tokens.getList("[0].stop", Integer.class));

        as(user).body(Map.of("inputs", List.of("Hello, wörld!", "second"), "add_special_tokens", false))
                .post("/v1/tokenize").then().statusCode(200)
                .body("size()", equalTo(2)).body("[0].size()", equalTo(4)).body("[1][0].text", equalTo("second"))
                .body("[1][0].start", equalTo(0));

        as(user).body(Map.of("ids", List.of(101, 7592, 1010, 2088, 999, 102))).post("/v1/detokenize")
                .then().statusCode(200).body("[0]", equalTo("hello, world!"));
        as(user).body(Map.of("ids", List.of(List.of(101, 7592, 102), List.of(2088)), "skip_special_tokens", false))
                .post("/v1/detokenize").then().statusCode(200)
                .body("[0]", equalTo("[CLS] hello [SEP]")).body("[1]", equalTo("world"));
    }

    @Test
    void theCountIsWhatEmbeddingsBill() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            texts.add("count me " + i + " " + UUID.randomUUID() + " with some words, numbers like 3.14 and ünïcödé");
        }
        int counted = as(user).body(Map.of("inputs", texts)).post("/v1/tokenize").then().statusCode(200).extract()
                .jsonPath().getList("flatten()").size();
        int billed = as(user).body(Map.of("input", texts)).post("/v1/embeddings").then().statusCode(200).extract()
                .path("usage.prompt_tokens");
        assertEquals(billed, counted);
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        as(user).body(Map.of("inputs", 5)).post("/v1/tokenize").then().statusCode(400)
                .body("error.param", equalTo("inputs"));
        as(user).body(Map.of("inputs", List.of("ok", 7))).post("/v1/tokenize").then().statusCode(400)
                .body("error.param", equalTo("inputs[1]"));
        as(user).body(Map.of("inputs", Collections.nCopies(10_000, "x"))).post("/v1/tokenize").then().statusCode(400)
                .body("error.code", equalTo("too_many_inputs"));
        as(user).body(Map.of("inputs", "x", "model", "no-such-model")).post("/v1/tokenize").then().statusCode(404)
                .body("error.code", equalTo("model_not_found"));
        as(user).body(Map.of("ids", List.of(101, 99_999_999))).post("/v1/detokenize").then().statusCode(400)
                .body("error.param", equalTo("ids[1]")).body("error.code", equalTo("invalid_token_id"));
        as(user).body(Map.of("ids", List.of(List.of(101), List.of()))).post("/v1/detokenize").then().statusCode(400)
                .body("error.param", equalTo("ids[1]"));
        as(user).body(Map.of("ids", List.of(-1))).post("/v1/detokenize").then().statusCode(400)
                .body("error.param", equalTo("ids[0]"));
        given().contentType("application/json").body(Map.of("inputs", "x")).post("/v1/tokenize").then()
                .statusCode(401);
    }
}
