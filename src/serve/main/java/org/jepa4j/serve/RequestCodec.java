package org.jepa4j.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The wire format of {@code POST /v1/embeddings}, apart from HTTP: what a request body means
 * ({@link #decode}), and the JSON of an answer ({@link #embeddings}) and of an error ({@link #error}).
 * Every body that is not exactly the request format is a {@link RequestError} naming the problem,
 * never an internal exception.
 *
 * <p>The request format: one image as the body ({@link #IMAGE_TYPES}), or {@code application/json}
 * {@code {"images": ["<base64>" or "data:...;base64,<base64>", ...], "feature": "pooled"}}.
 */
public final class RequestCodec {
    /** Deepest nesting a request body may have: the request format needs 2. */
    public static final int MAX_JSON_DEPTH = 8;
    /** Longest number literal a request body may hold (the format has none). */
    public static final int MAX_JSON_NUMBER_LENGTH = 64;
    /** Media types a single-image body may have. */
    public static final Set<String> IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/jpg", "image/bmp",
            "image/x-ms-bmp", "image/gif", "application/octet-stream");
    /** The media type of a batch. */
    public static final String JSON_TYPE = "application/json";
    /** The name {@link Request#names()} gives a single-image body. */
    public static final String BODY = "body";

    /** Writes answers. */
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Reads requests: shallow nesting, short numbers, duplicate keys and trailing tokens refused. */
    private static final ObjectMapper REQUEST_JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_JSON_DEPTH)
                    .maxNumberLength(MAX_JSON_NUMBER_LENGTH).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private RequestCodec() {
    }

    /**
     * A decoded request: the encoded images, a name for each (for messages) and the wanted feature.
     *
     * @param images  encoded image files (PNG, JPEG, ...), not yet decoded
     * @param names   {@code body} for a single-image body, {@code images[i]} in a batch
     * @param feature the feature asked for, or null for the server's default
     */
    public record Request(List<byte[]> images, List<String> names, String feature) {
        public Request {
            images = List.copyOf(images);
            names = List.copyOf(names);
        }

        /** The body's media type when the request is one image as the body, else null (a batch). */
        String singleType(String mediaType) {
            return images.size() == 1 && names.get(0).equals(BODY) ? mediaType : null;
        }
    }

    /**
     * The media type of a {@code Content-Type} header value, lower case without parameters; null when
     * absent.
     */
    public static String mediaType(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /**
     * Refuses a media type that is no request format (415), before any body byte is read.
     *
     * @param mediaType as {@link #mediaType} gives it (null when the header is missing)
     */
    public static void checkMediaType(String mediaType) {
        if (mediaType == null || !(mediaType.equals(JSON_TYPE) || IMAGE_TYPES.contains(mediaType))) {
            String shown = mediaType == null ? "missing" : "'" + printable(mediaType) + "'";
            throw new RequestError(415, "unsupported_media_type", "Content-Type " + shown + ": send one image as "
                    + "image/png, image/jpeg, image/bmp, image/gif or application/octet-stream, or a batch as "
                    + "application/json {\"images\": [\"<base64>\", ...]}");
        }
    }

    /**
     * What a body means.
     *
     * @param mediaType    the body's media type (checked by {@link #checkMediaType})
     * @param body         the whole body
     * @param featureParam the {@code ?feature=} query parameter, or null
     * @param maxImages    most images one request may hold (the queue's capacity: more could never run)
     * @throws RequestError 400 {@code empty_body}, {@code bad_json}, {@code bad_base64}; 413
     *                      {@code too_many_images}
     */
    public static Request decode(String mediaType, byte[] body, String featureParam, int maxImages) {
        checkMediaType(mediaType);
        if (body == null || body.length == 0) {
            throw new RequestError(400, "empty_body", "empty body: expected an image or a JSON batch");
        }
        if (!mediaType.equals(JSON_TYPE)) {
            return new Request(List.of(body), List.of(BODY), featureParam);
        }
        try {
            return decodeJson(body, featureParam, maxImages);
        } catch (RequestError e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new RequestError(400, "bad_json", "body is not a valid request: " + e, e);
        }
    }

    private static Request decodeJson(byte[] body, String featureParam, int maxImages) {
        JsonNode root;
        try {
            root = REQUEST_JSON.readTree(body);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new RequestError(400, "bad_json", "body is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " (at line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"), e);
        } catch (IOException e) {
            throw new RequestError(400, "bad_json", "body cannot be read as JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new RequestError(400, "bad_json", "body must be a JSON object {\"images\": [\"<base64>\", ...], "
                    + "\"feature\": \"pooled\"}, got " + (root == null ? "nothing" : typeOf(root)));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("images") && !k.equals("feature")) {
                throw new RequestError(400, "bad_json", "unknown key '" + printable(k)
                        + "': expected \"images\" and optionally \"feature\"");
            }
        }
        JsonNode images = root.get("images");
        if (images == null || !images.isArray() || images.isEmpty()) {
            throw new RequestError(400, "bad_json", "\"images\" must be a non-empty array of base64 strings");
        }
        String feature = featureParam;
        JsonNode f = root.get("feature");
        if (f != null && !f.isNull()) {
            if (!f.isTextual()) {
                throw new RequestError(400, "bad_json", "\"feature\" must be a string such as \"pooled\"");
            }
            feature = f.asText();
        }
        checkImageCount(images.size(), maxImages);
        List<byte[]> out = new ArrayList<>(images.size());
        List<String> names = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            JsonNode n = images.get(i);
            String name = "images[" + i + "]";
            if (!n.isTextual()) {
                throw new RequestError(400, "bad_json", name + " must be a base64 string, got " + typeOf(n));
            }
            String s = n.asText();
            int comma = s.startsWith("data:") ? s.indexOf(',') : -1;
            if (comma >= 0) {
                s = s.substring(comma + 1); // data URL: data:image/png;base64,....
            }
            try {
                out.add(Base64.getDecoder().decode(s.strip()));
            } catch (IllegalArgumentException e) {
                throw new RequestError(400, "bad_base64", name + " is not valid base64: " + e.getMessage(), e);
            }
            names.add(name);
        }
        return new Request(out, names, feature);
    }

    /** The one check of how many images a request may hold. */
    static void checkImageCount(int n, int maxImages) {
        if (n > maxImages) {
            throw new RequestError(413, "too_many_images", "request holds " + n + " images; at most " + maxImages
                    + " per request (--queue)");
        }
    }

    /**
     * {@code {"model", "dimension", "feature", "data": [{"index", "embedding"}]}}; each float as the
     * shortest decimal that reads back as the same float.
     */
    public static byte[] embeddings(ModelDescription d, List<float[]> vectors) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(64 + vectors.size() * d.dimension() * 14);
        try (JsonGenerator g = JSON.getFactory().createGenerator(bos)) {
            g.writeStartObject();
            g.writeStringField("model", d.modelId());
            g.writeNumberField("dimension", d.dimension());
            g.writeStringField("feature", d.feature());
            g.writeArrayFieldStart("data");
            for (int i = 0; i < vectors.size(); i++) {
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeArrayFieldStart("embedding");
                for (float x : vectors.get(i)) {
                    g.writeNumber(x);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /** {@code {"error": {"status", "kind", "message"}}}. */
    public static byte[] error(RequestError e) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("status", e.status());
        inner.put("kind", e.kind());
        inner.put("message", e.getMessage());
        return json(Map.of("error", inner));
    }

    /** Any answer value as JSON. */
    public static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String typeOf(JsonNode n) {
        return n.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    /** {@code s} with control characters escaped and cut to 100 characters, for a message. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 100; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return s.length() > 100 ? b + "..." : b.toString();
    }
}
