package org.jepa4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The request and answer format of {@code POST /v1/embeddings}, without HTTP. */
class RequestCodecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RequestError refused(String type, String body, int maxImages) {
        return assertThrows(RequestError.class, () -> RequestCodec.decode(type, utf8(body), null, maxImages), body);
    }

    @Test
    void aBatchDecodesToItsImagesInOrderWithTheirNamesAndFeature() {
        byte[] a = {1, 2, 3};
        byte[] b = {(byte) 0xff, 0, 7, 9};
        String body = "{\"feature\": \"last4\", \"images\": [\"" + Base64.getEncoder().encodeToString(a) + "\", \"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(b) + "\"]}";
        RequestCodec.Request r = RequestCodec.decode("application/json", utf8(body), "pooled", 8);
        assertEquals(2, r.images().size());
        assertArrayEquals(a, r.images().get(0));
        assertArrayEquals(b, r.images().get(1), "a data URL's base64 part");
        assertEquals(List.of("images[0]", "images[1]"), r.names());
        assertEquals("last4", r.feature(), "the body's feature wins over the query parameter");
        assertNull(r.singleType("application/json"), "a batch has no single media type");
    }

    @Test
    void aSingleImageBodyIsTheImageItselfWithTheQueryFeature() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        RequestCodec.Request r = RequestCodec.decode("image/png", png, "cls", 1);
        assertArrayEquals(png, r.images().get(0));
        assertEquals("cls", r.feature());
        assertEquals("image/png", r.singleType("image/png"));
    }

    @Test
    void theMediaTypeIsTheHeadersTypeWithoutParametersInLowerCase() {
        assertEquals("application/json", RequestCodec.mediaType(" Application/JSON ; charset=utf-8"));
        assertNull(RequestCodec.mediaType(null));
        for (String garbage : new String[] {null, "", ";;;", "text/plain", "image/png, text/plain", "\u0001\u0002",
                "a".repeat(10_000), "multipart/form-data; boundary=x", "ÿÿÿ"}) {
            RequestError e = assertThrows(RequestError.class,
                    () -> RequestCodec.checkMediaType(RequestCodec.mediaType(garbage)), String.valueOf(garbage));
            assertEquals(415, e.status());
            assertEquals("unsupported_media_type", e.kind());
            assertTrue(e.getMessage().length() < 400, "the message quotes a bounded part: " + e.getMessage().length());
            assertTrue(e.getMessage().chars().noneMatch(c -> c < 0x20), "no control character reaches the message");
        }
    }

    @Test
    void everyBodyThatIsNotTheFormatIsA400NamingTheProblem() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("not json", "body is not valid JSON"),
                Map.entry("[]", "must be a JSON object"),
                Map.entry("{}", "\"images\" must be a non-empty array"),
                Map.entry("{\"images\": []}", "\"images\" must be a non-empty array"),
                Map.entry("{\"images\": \"AAAA\"}", "\"images\" must be a non-empty array"),
                Map.entry("{\"images\": [1]}", "images[0] must be a base64 string, got number"),
                Map.entry("{\"images\": [\"AAAA\", null]}", "images[1] must be a base64 string, got null"),
                Map.entry("{\"images\": [\"AAAA\"], \"feature\": 3}", "\"feature\" must be a string"),
                Map.entry("{\"images\": [\"AAAA\"], \"extra\": 1}", "unknown key 'extra'"),
                Map.entry("{\"images\": [\"AAAA\"], \"images\": [\"AAAA\"]}", "Duplicate field 'images'"),
                Map.entry("{\"images\": [\"AAAA\"]} trailing", "body is not valid JSON"),
                Map.entry("[".repeat(100_000), "body is not valid JSON"),
                Map.entry("{\"images\": [\"AAAA\"], \"feature\": " + "9".repeat(20_000) + "}", "body is not valid JSON"));
        cases.forEach((body, expected) -> {
            RequestError e = refused("application/json", body, 8);
            assertEquals(400, e.status(), body);
            assertEquals("bad_json", e.kind(), body);
            assertTrue(e.getMessage().contains(expected), body.substring(0, Math.min(40, body.length())) + " -> "
                    + e.getMessage());
        });
        RequestError b = refused("application/json", "{\"images\": [\"AAAA\", \"%%%\"]}", 8);
        assertEquals("bad_base64", b.kind());
        assertTrue(b.getMessage().startsWith("images[1] is not valid base64"), b.getMessage());
        RequestError empty = assertThrows(RequestError.class, () -> RequestCodec.decode("image/png", new byte[0], null, 8));
        assertEquals("empty_body", empty.kind());
    }

    @Test
    void moreImagesThanTheQueueHoldsAre413() {
        String body = "{\"images\": [\"AAAA\", \"AAAA\", \"AAAA\"]}";
        RequestError e = refused("application/json", body, 2);
        assertEquals(413, e.status());
        assertEquals("too_many_images", e.kind());
        assertTrue(e.getMessage().contains("3 images; at most 2") && e.getMessage().contains("--queue"), e.getMessage());
        assertEquals(3, RequestCodec.decode("application/json", utf8(body), null, 3).images().size(), "the bound itself is allowed");
    }

    @Test
    void anAnswerReadsBackAsExactlyTheFloatsWritten() throws Exception {
        Random rnd = new Random(7);
        float[][] v = new float[3][17];
        for (float[] row : v) {
            for (int i = 0; i < row.length; i++) {
                row[i] = Float.intBitsToFloat(rnd.nextInt()) ;
                if (!Float.isFinite(row[i])) {
                    row[i] = rnd.nextFloat() * 1e-30f;
                }
            }
        }
        ModelDescription d = new PixelStatsEmbedder().describe();
        JsonNode root = JSON.readTree(RequestCodec.embeddings(d, List.of(v)));
        assertEquals(d.modelId(), root.get("model").asText());
        assertEquals(d.feature(), root.get("feature").asText());
        for (int r = 0; r < v.length; r++) {
            JsonNode e = root.get("data").get(r);
            assertEquals(r, e.get("index").asInt());
            for (int i = 0; i < v[r].length; i++) {
                // the oracle is Java's own decimal parser: the text must name exactly the written float
                assertEquals(Float.floatToIntBits(v[r][i]), Float.floatToIntBits(Float.parseFloat(e.get("embedding").get(i).asText())));
            }
        }
    }

    @Test
    void anErrorIsTheDocumentedJsonObject() throws Exception {
        JsonNode root = JSON.readTree(RequestCodec.error(new RequestError(429, "overloaded", "busy \"now\"")));
        assertEquals(1, root.size());
        JsonNode e = root.get("error");
        assertEquals(429, e.get("status").asInt());
        assertEquals("overloaded", e.get("kind").asText());
        assertEquals("busy \"now\"", e.get("message").asText());
    }
}
