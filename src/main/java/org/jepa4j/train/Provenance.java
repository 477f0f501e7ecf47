package org.jepa4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Where a trained artifact came from (STYLE.md, "provenance"): the run folder, when, which jepa4j,
 * the SHA-256 of the resolved config, the data source and its size, the host. Stored as JSON in
 * the run folder ({@code provenance.json}) and in every checkpoint ({@code jepa4j.provenance}).
 *
 * @param runFolder    absolute run folder
 * @param created      when the run (or this resumed part of it) started, ISO-8601 UTC
 * @param version      jepa4j version
 * @param configSha256 SHA-256 (hex) of the resolved config YAML
 * @param dataSource   description of the training images
 * @param dataSize     number of training images
 * @param seed         {@code meta.seed}
 * @param host         host name
 * @param device       TensorFlow device the graph runs on
 */
public record Provenance(String runFolder, String created, String version, String configSha256, String dataSource,
                         long dataSize, long seed, String host, String device) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Provenance of a run starting now. */
    public static Provenance now(Path runFolder, String version, String configYaml, String dataSource, long dataSize,
                                 long seed, String device) {
        return new Provenance(runFolder.toAbsolutePath().normalize().toString(), Instant.now().toString(), version,
                sha256(configYaml), dataSource, dataSize, seed, hostName(), device);
    }

    /** The JSON object, with {@code step} added when {@code step >= 0} (the step a checkpoint holds). */
    public String toJson(long step) {
        ObjectNode n = JSON.createObjectNode();
        n.put("run_folder", runFolder).put("created", created).put("jepa4j_version", version)
                .put("config_sha256", configSha256).put("data_source", dataSource).put("data_size", dataSize)
                .put("seed", seed).put("host", host).put("device", device)
                .put("java", System.getProperty("java.version"));
        if (step >= 0) {
            n.put("step", step);
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lower-case hex SHA-256 of the UTF-8 bytes of {@code text}. */
    public static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return env == null ? "unknown" : env;
        }
    }
}
