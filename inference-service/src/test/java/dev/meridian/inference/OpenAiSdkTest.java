package dev.meridian.inference;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.core.http.HttpResponse;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.meridian.inference.InferenceApi.MODEL;
import static dev.meridian.inference.InferenceApi.embed;
import static dev.meridian.inference.InferenceApi.vectors;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official OpenAI Java SDK, unchanged, pointed at the service: what users of any OpenAI client do. */
@QuarkusTest
class OpenAiSdkTest {

    @TestHTTPResource("/v1")
    URL v1;

    @Test
    void theOfficialSdkEmbedsAndReadsOurErrors() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(v1.toString()).apiKey(JobsTest.token(InferenceApi.USER))
                .maxRetries(0).build();
        try {
            CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                    .model(MODEL).inputOfArrayOfStrings(List.of("hello from the SDK", "second input")).build());

            assertEquals(2, response.data().size());
            assertEquals(MODEL + ":int8", response.model());
            assertTrue(response.usage().promptTokens() > 4);
            List<Float> sdkVector = response.data().get(0).embedding();
            float[] direct = vectors(embed(Map.of("input", "hello from the SDK"))).get(0);
            assertEquals(direct.length, sdkVector.size());
            for (int i = 0; i < direct.length; i++) {
                assertEquals(direct[i], sdkVector.get(i), 0f);
            }

            NotFoundException notFound = assertThrows(NotFoundException.class, () -> client.embeddings()
                    .create(EmbeddingCreateParams.builder().model("text-embedding-3-small").input("x").build()));
            assertTrue(notFound.getMessage().contains("does not exist"), notFound.getMessage());
        } finally {
            client.close();
        }
    }

    /** files.create, batches.create, batches.retrieve, files.content: the SDK's Batch API, unchanged. */
    @Test
    void theOfficialSdkRunsABatch() throws Exception {
        UUID user = UUID.randomUUID();
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(v1.toString()).apiKey(JobsTest.token(user))
                .maxRetries(0).responseValidation(true).build();
        try {
            String text = "a batch sent by the SDK " + UUID.randomUUID();
            byte[] jsonl = (BatchApiTest.line("only", Map.of("model", JobsTest.FP32, "input", text)) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            FileObject file = client.files().create(FileCreateParams.builder().file(jsonl).purpose(FilePurpose.BATCH)
                    .build());
            assertEquals(jsonl.length, file.bytes());
            Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                    .endpoint(BatchCreateParams.Endpoint.V1_EMBEDDINGS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
            assertEquals(file.id(), batch.inputFileId());
            await().atMost(JobsTest.WAIT).until(() -> client.batches().retrieve(batch.id()).status()
                    .equals(Batch.Status.COMPLETED));
            Batch done = client.batches().retrieve(batch.id());
            assertEquals(1, done.requestCounts().orElseThrow().completed());
            assertTrue(done.errorFileId().isEmpty());
            String output;
            try (HttpResponse content = client.files().content(done.outputFileId().orElseThrow())) {
                output = new String(content.body().readAllBytes(), StandardCharsets.UTF_8);
            }
            JsonNode line = new ObjectMapper().readTree(output.strip());
            assertEquals("only", line.get("custom_id").asText());
            float[] direct = vectors(embed(Map.of("model", JobsTest.FP32, "input", text))).get(0);
            assertArrayEquals(direct, BatchApiTest.floats(line.at("/response/body/data/0/embedding")));
            assertEquals(done.id(), client.batches().list().data().get(0).id());
        } finally {
            client.close();
        }
    }
}
