package dev.meridian.inference;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.List;
import java.util.Map;

import static dev.meridian.inference.InferenceApi.MODEL;
import static dev.meridian.inference.InferenceApi.embed;
import static dev.meridian.inference.InferenceApi.vectors;
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
}
