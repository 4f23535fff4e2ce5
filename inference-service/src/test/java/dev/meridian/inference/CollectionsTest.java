package dev.meridian.inference;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.JobsTest.as;
import static dev.meridian.inference.JobsTest.awaitStatus;
import static dev.meridian.inference.JobsTest.submit;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
class CollectionsTest {

    /** Eight documents on unrelated subjects, and for each a question that shares almost no words with it. */
    static final Map<String, String> DOCUMENTS = Map.of(
            "pasta", "Boil the spaghetti in salted water for nine minutes, then toss it with garlic and olive oil.",
            "tides", "The moon's gravity pulls on the oceans, producing two high tides every day.",
            "password", "To reset your password, click 'Forgot password' on the sign-in page and follow the emailed link.",
            "football", "The striker scored twice in the second half and the home team won the match three to one.",
            "vaccine", "Vaccines train the immune system to recognise a virus without causing the disease.",
            "mortgage", "A fixed-rate mortgage keeps the same interest rate for the whole term of the home loan.",
            "python", "In Python, a list comprehension builds a new list by applying an expression to each item.",
            "volcano", "Lava erupted from the volcano and flowed down the mountain toward the village.");
    static final Map<String, String> QUESTIONS = Map.of(
            "pasta", "how do I cook noodles",
            "tides", "why does the sea level rise and fall",
            "password", "I forgot my login credentials",
            "football", "who won the soccer game",
            "vaccine", "how do immunizations protect you",
            "mortgage", "borrowing money to buy a house at a constant rate",
            "python", "create a list from another list in code",
            "volcano", "molten rock came out of the mountain");

    static RequestSpecification asTier(UUID user, String tier) {
        return given().header("Authorization", "Bearer " + JobsTest.tokenOfTier(user, tier)).contentType(ContentType.JSON);
    }

    static void create(UUID user, String name) {
        as(user).body(Map.of("name", name)).post("/v1/collections").then().statusCode(201)
                .header("Location", endsWith("/v1/collections/" + name))
                .body("name", equalTo(name)).body("document_count", equalTo(0)).body("dimensions", equalTo(384))
                .body("model", startsWith(InferenceApi.MODEL + ":"));
    }

    static List<Map<String, Object>> labelled() {
        List<Map<String, Object>> docs = new ArrayList<>();
        DOCUMENTS.forEach((id, text) -> docs.add(Map.of("id", id, "text", text,
                "metadata", Map.of("topic", id, "lang", id.length() % 2 == 0 ? "en" : "de"))));
        return docs;
    }

    static Response search(UUID user, String name, Map<String, Object> body) {
        return as(user).body(body).post("/v1/collections/" + name + "/search");
    }

    @Test
    void theRightDocumentRanksFirstForEveryQuestionOfALabelledSet() {
        UUID user = UUID.randomUUID();
        create(user, "faq");
        as(user).body(Map.of("documents", labelled())).post("/v1/collections/faq/documents").then().statusCode(200)
                .body("document_count", equalTo(8)).body("ids", hasSize(8));

        QUESTIONS.forEach((expected, question) -> search(user, "faq", Map.of("query", question, "k", 3))
                .then().statusCode(200)
                .body("data", hasSize(3))
                .body("data[0].id", equalTo(expected))
                .body("data[0].text", equalTo(DOCUMENTS.get(expected)))
                .body("data[0].metadata.topic", equalTo(expected)));

        // scores come best first
        List<Float> scores = search(user, "faq", Map.of("query", "cooking dinner", "k", 8)).then().statusCode(200)
                .extract().path("data.score");
        List<Float> sorted = new ArrayList<>(scores);
        sorted.sort(Collections.reverseOrder());
        assertEquals(sorted, scores);
    }

    @Test
    void metadataFiltersLimitTheCandidates() {
        UUID user = UUID.randomUUID();
        create(user, "filtered");
        List<Map<String, Object>> docs = new ArrayList<>(labelled());
        docs.add(Map.of("id", "tagged", "text", "Fresh pasta with tomato sauce", "metadata",
                Map.of("tags", List.of("food", "italian"), "year", 2024)));
        as(user).body(Map.of("documents", docs)).post("/v1/collections/filtered/documents").then().statusCode(200);

        search(user, "filtered", Map.of("query", "how do I cook noodles", "k", 10, "filter", Map.of("lang", "de")))
                .then().statusCode(200).body("data.metadata.lang", everyItem(equalTo("de")))
                .body("data", hasSize(4)).body("data[0].id", equalTo("pasta")); // pasta, tides, vaccine, volcano
        search(user, "filtered", Map.of("query", "noodles", "filter", Map.of("tags", "italian", "year", 2024.0)))
                .then().statusCode(200).body("data.id", contains("tagged"));
        search(user, "filtered", Map.of("query", "noodles", "filter", Map.of("tags", List.of("food"))))
                .then().statusCode(400).body("error.param", equalTo("filter.tags"));
    }

    @Test
    void documentsAreReplacedByIdAndDeletedOneByOne() {
        UUID user = UUID.randomUUID();
        create(user, "notes");
        as(user).body(Map.of("documents", List.of(Map.of("id", "n1", "text", "The cat sleeps on the sofa."),
                        Map.of("text", "An untitled note about trains."))))
                .post("/v1/collections/notes/documents").then().statusCode(200)
                .body("ids[0]", equalTo("n1")).body("ids[1]", matchesPattern("[0-9a-f-]{36}")).body("document_count", equalTo(2));

        // same id again: replaced, not added
        as(user).body(Map.of("documents", List.of(Map.of("id", "n1", "text", "Volcanoes erupt lava."))))
                .post("/v1/collections/notes/documents").then().statusCode(200).body("document_count", equalTo(2));
        search(user, "notes", Map.of("query", "lava from a mountain", "k", 1)).then()
                .body("data[0].id", equalTo("n1")).body("data[0].text", equalTo("Volcanoes erupt lava."));

        as(user).delete("/v1/collections/notes/documents/n1").then().statusCode(204);
        as(user).delete("/v1/collections/notes/documents/n1").then().statusCode(404)
                .body("error.code", equalTo("document_not_found"));
        search(user, "notes", Map.of("query", "lava from a mountain", "k", 5)).then()
                .body("data", hasSize(1)).body("data[0].text", equalTo("An untitled note about trains."));
        as(user).get("/v1/collections/notes").then().statusCode(200).body("document_count", equalTo(1));

        as(user).delete("/v1/collections/notes").then().statusCode(204);
        as(user).get("/v1/collections/notes").then().statusCode(404).body("error.code", equalTo("collection_not_found"));
        search(user, "notes", Map.of("query", "trains")).then().statusCode(404);
    }

    static Connection database() throws Exception {
        return DriverManager.getConnection(ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url",
                String.class), "postgres", "postgres");
    }

    /** Documents in PostgreSQL of any collection the user has, or had (rows left without their collection count). */
    static long documentsInDatabase(UUID user) throws Exception {
        try (Connection db = database(); PreparedStatement count = db.prepareStatement("SELECT count(*) FROM documents d"
                + " LEFT JOIN collections c ON c.id = d.collection_id WHERE c.user_id = ? OR c.id IS NULL")) {
            count.setObject(1, user);
            try (var rows = count.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    @Test
    void aSearchSeesWhatAnotherInstanceWroteToPostgresql() throws Exception {
        UUID user = UUID.randomUUID();
        create(user, "shared");
        as(user).body(Map.of("documents", labelled())).post("/v1/collections/shared/documents").then().statusCode(200);
        search(user, "shared", Map.of("query", "how do I cook noodles", "k", 1)).then()
                .body("data[0].id", equalTo("pasta")); // this instance's index is built now

        // What another instance's write leaves in PostgreSQL: the pasta document deleted, the collection's version on.
        try (Connection db = database();
             PreparedStatement delete = db.prepareStatement("DELETE FROM documents WHERE doc_id = 'pasta' AND"
                     + " collection_id = (SELECT id FROM collections WHERE user_id = ? AND name = 'shared')");
             PreparedStatement bump = db.prepareStatement("UPDATE collections SET version = version + 1,"
                     + " document_count = document_count - 1 WHERE user_id = ? AND name = 'shared'")) {
            delete.setObject(1, user);
            bump.setObject(1, user);
            assertEquals(1, delete.executeUpdate());
            assertEquals(1, bump.executeUpdate());
        }

        search(user, "shared", Map.of("query", "how do I cook noodles", "k", 8)).then()
                .body("data", hasSize(7)).body("data.id", not(hasItem("pasta")));
    }

    @Test
    void collectionsAreTheirOwnersAndAdminsOnly() {
        UUID owner = UUID.randomUUID();
        UUID stranger = UUID.randomUUID();
        create(owner, "private");
        as(owner).body(Map.of("documents", List.of(Map.of("id", "secret", "text", "my bank PIN hint"))))
                .post("/v1/collections/private/documents").then().statusCode(200);

        as(stranger).get("/v1/collections/private").then().statusCode(404);
        search(stranger, "private", Map.of("query", "PIN")).then().statusCode(404);
        as(stranger).delete("/v1/collections/private/documents/secret").then().statusCode(404);
        as(stranger).get("/v1/collections").then().statusCode(200).body("data", hasSize(0));
        as(stranger).get("/v1/collections?owner=" + owner).then().statusCode(403).body("error.param", equalTo("owner"));
        // the stranger may use the same name for a collection of their own
        create(stranger, "private");

        UUID admin = UUID.randomUUID();
        as(admin, "user", "admin").get("/v1/collections?owner=" + owner).then().statusCode(200)
                .body("data.name", contains("private")).body("data[0].document_count", equalTo(1));
        as(admin, "user", "admin").body(Map.of("query", "PIN")).post("/v1/collections/private/search?owner=" + owner)
                .then().statusCode(200).body("data[0].id", equalTo("secret"));
        given().contentType(ContentType.JSON).body(Map.of("name", "x")).post("/v1/collections").then().statusCode(401);
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        UUID user = UUID.randomUUID();
        as(user).body(Map.of("name", "has space")).post("/v1/collections").then().statusCode(400)
                .body("error.param", equalTo("name"));
        as(user).body(Map.of("name", "m", "model", "no-such-model")).post("/v1/collections").then().statusCode(404)
                .body("error.param", equalTo("model"));
        create(user, "c1");
        as(user).body(Map.of("name", "c1")).post("/v1/collections").then().statusCode(409)
                .body("error.code", equalTo("collection_exists"));

        post(user, Map.of("documents", List.of())).then().statusCode(400).body("error.param", equalTo("documents"));
        post(user, Map.of("documents", List.of(Map.of("id", "a", "text", " ")))).then().statusCode(400)
                .body("error.param", equalTo("documents[0].text"));
        post(user, Map.of("documents", List.of(Map.of("id", "a", "text", "x"), Map.of("id", "a", "text", "y"))))
                .then().statusCode(400).body("error.param", equalTo("documents[1].id"))
                .body("error.code", equalTo("duplicate_document_id"));
        post(user, Map.of("documents", List.of(Map.of("text", "x", "metadata", Map.of("big", "m".repeat(9000))))))
                .then().statusCode(400).body("error.param", equalTo("documents[0].metadata"));
        post(user, Map.of("documents", List.of(Map.of("text", "x", "colour", "red")))).then().statusCode(400);
        post(user, Map.of("documents", Collections.nCopies(129, Map.of("text", "x")))).then().statusCode(400)
                .body("error.code", equalTo("too_many_documents"))
                .body("error.message", containsString("index_documents"));
        post(user, Map.of("documents", List.of(Map.of("text", "word ".repeat(400))))).then().statusCode(400)
                .body("error.code", equalTo("context_length_exceeded")).body("error.param", equalTo("documents[0].text"));
        as(user).body("{\"documents\": [").post("/v1/collections/c1/documents").then().statusCode(400);

        search(user, "c1", Map.of("query", "")).then().statusCode(400).body("error.param", equalTo("query"));
        search(user, "c1", Map.of("query", "q", "k", 101)).then().statusCode(400).body("error.param", equalTo("k"));
        as(user).get("/v1/collections/c1").then().statusCode(200).body("document_count", equalTo(0)); // nothing stored
    }

    private static Response post(UUID user, Map<String, Object> body) {
        return as(user).body(body).post("/v1/collections/c1/documents");
    }

    @Test
    void tierQuotasCapCollectionsAndDocuments() {
        UUID user = UUID.randomUUID();
        asTier(user, "tiny").body(Map.of("name", "t1")).post("/v1/collections").then().statusCode(201);
        asTier(user, "tiny").body(Map.of("name", "t2")).post("/v1/collections").then().statusCode(201);
        asTier(user, "tiny").body(Map.of("name", "t3")).post("/v1/collections").then().statusCode(409)
                .body("error.code", equalTo("quota_exceeded"));

        List<Map<String, Object>> three = List.of(Map.of("id", "a", "text", "one"), Map.of("id", "b", "text", "two"),
                Map.of("id", "c", "text", "three"));
        asTier(user, "tiny").body(Map.of("documents", three)).post("/v1/collections/t1/documents").then().statusCode(200);
        asTier(user, "tiny").body(Map.of("documents", List.of(Map.of("id", "d", "text", "four"))))
                .post("/v1/collections/t1/documents").then().statusCode(409).body("error.code", equalTo("collection_full"));
        // replacing one that exists does not add
        asTier(user, "tiny").body(Map.of("documents", List.of(Map.of("id", "a", "text", "uno"))))
                .post("/v1/collections/t1/documents").then().statusCode(200).body("document_count", equalTo(3));
    }

    @Test
    void anIndexDocumentsJobFillsACollectionInTheBackground() {
        UUID user = UUID.randomUUID();
        create(user, "bulk");
        List<Map<String, Object>> docs = new ArrayList<>(labelled());
        for (int i = 0; i < 292; i++) {
            docs.add(Map.of("id", "filler-" + i, "text", "Inventory record " + i + ": " + (i * 7) + " bolts in bin " + i % 13));
        }
        String id = submit(user, Map.of("type", "index_documents", "collection", "bulk", "documents", docs));
        awaitStatus(user, id, "completed").then().body("collection", equalTo("bulk"))
                .body("progress.done", equalTo(300)).body("type", equalTo("index_documents"));
        as(user).get("/v1/jobs/" + id + "/result").then().statusCode(200).contentType(ContentType.JSON)
                .body("object", equalTo("collection.index_result")).body("documents", equalTo(300));
        as(user).get("/v1/collections/bulk").then().body("document_count", equalTo(300));
        search(user, "bulk", Map.of("query", "who won the soccer game", "k", 1)).then()
                .body("data[0].id", equalTo("football"));

        // the job must name a collection of the caller's, and cannot switch its model
        as(user).body(Map.of("type", "index_documents", "collection", "none", "documents", docs.subList(0, 1)))
                .post("/v1/jobs").then().statusCode(404).body("error.param", equalTo("collection"));
        as(UUID.randomUUID()).body(Map.of("type", "index_documents", "collection", "bulk", "documents", docs.subList(0, 1)))
                .post("/v1/jobs").then().statusCode(404);
        as(user).body(Map.of("type", "index_documents", "collection", "bulk", "model", "all-minilm-l6-v2:nope",
                "documents", docs.subList(0, 1))).post("/v1/jobs").then().statusCode(400)
                .body("error.code", equalTo("model_mismatch"));
        as(user).body(Map.of("type", "index_documents", "collection", "bulk", "documents",
                List.of(Map.of("id", "x", "text", "")))).post("/v1/jobs").then().statusCode(400)
                .body("error.param", equalTo("documents[0].text"));
    }
}
