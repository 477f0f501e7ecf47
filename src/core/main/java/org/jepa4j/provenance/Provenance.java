package org.jepa4j.provenance;

import com.fasterxml.jackson.core.type.TypeReference;
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
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where an artifact came from: the one provenance type of jepa4j, with one JSON spelling
 * (snake_case keys). Every checkpoint carries it ({@code jepa4j.provenance}), a training run also
 * writes it to {@code provenance.json}, and exports copy it into the ONNX metadata.
 *
 * <p>Common to every kind: {@code kind}, {@code created} (ISO-8601 UTC), {@code jepa4j_version},
 * {@code host}, {@code java}, {@code os} (name and version), {@code arch} (the JVM's
 * {@code os.arch}: floating-point results, and so feature bits, may differ by platform), and
 * {@code engines}, the numeric engines that made the artifact with their versions (e.g.
 * {@code {"tensorflow": "2.18.0"}} for training; absent when none ran); then the entries of
 * {@link #details()} in order, which depend on the
 * kind: a {@link #TRAINING} run records {@code run_folder}, {@code config_sha256},
 * {@code data_source}, {@code data_size}, {@code seed}, {@code device}; an {@link #IMPORT} records
 * {@code source_file}, {@code source_format}, {@code source_sha256}, {@code notes}; a
 * {@link #RANDOM_INIT} baseline records {@code run_folder} and {@code seed}.
 *
 * @param kind    {@link #TRAINING}, {@link #IMPORT} or {@link #RANDOM_INIT}
 * @param created when the artifact (or this resumed part of a run) was started, ISO-8601 UTC
 * @param version jepa4j version ({@link Version#current()})
 * @param host    host name
 * @param java    Java runtime version
 * @param os      operating system name and version ({@code os.name os.version})
 * @param arch    CPU architecture as the JVM names it ({@code os.arch}: amd64, aarch64, ...)
 * @param engines engine name to version ({@code tensorflow}, {@code onnxruntime}), in the order added
 * @param details kind-specific entries, in the order they are written
 */
public record Provenance(String kind, String created, String version, String host, String java, String os,
                         String arch, Map<String, String> engines, Map<String, Object> details) {
    /** A pretraining run. */
    public static final String TRAINING = "training";
    /** Weights imported from an official or Hugging Face file. */
    public static final String IMPORT = "import";
    /** An encoder at its initial weights (the evaluation baseline). */
    public static final String RANDOM_INIT = "random_init";

    private static final ObjectMapper JSON = new ObjectMapper();

    public Provenance {
        engines = Collections.unmodifiableMap(new LinkedHashMap<>(engines));
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** Provenance of a training run starting now. */
    public static Provenance training(Path runFolder, String configYaml, String dataSource, long dataSize, long seed,
                                      String device) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("run_folder", absolute(runFolder));
        d.put("config_sha256", sha256(configYaml));
        d.put("data_source", dataSource);
        d.put("data_size", dataSize);
        d.put("seed", seed);
        d.put("device", device);
        return now(TRAINING, d);
    }

    /** Provenance of weights imported now from {@code sourceFile}. */
    public static Provenance imported(Path sourceFile, String sourceFormat, String sourceSha256,
                                     java.util.List<String> notes) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("source_file", absolute(sourceFile));
        d.put("source_format", sourceFormat);
        d.put("source_sha256", sourceSha256);
        d.put("notes", notes);
        return now(IMPORT, d);
    }

    /** Provenance of a random-init baseline made now for the run in {@code runFolder}. */
    public static Provenance randomInit(Path runFolder, long seed) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("run_folder", absolute(runFolder));
        d.put("seed", seed);
        return now(RANDOM_INIT, d);
    }

    private static Provenance now(String kind, Map<String, Object> details) {
        return new Provenance(kind, Instant.now().toString(), Version.current(), hostName(),
                System.getProperty("java.version"), operatingSystem(), System.getProperty("os.arch"), Map.of(), details);
    }

    /** This JVM's operating system: {@code os.name} and {@code os.version}. */
    public static String operatingSystem() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version");
    }

    /** This record with one more engine (or {@code name}'s version replaced), e.g. {@code ("tensorflow", "2.18.0")}. */
    public Provenance withEngine(String name, String engineVersion) {
        Map<String, String> e = new LinkedHashMap<>(engines);
        e.put(name, engineVersion);
        return new Provenance(kind, created, version, host, java, os, arch, e, details);
    }

    /** This record with one more kind-specific entry (or {@code key} replaced), written after the others. */
    public Provenance with(String key, Object value) {
        Map<String, Object> d = new LinkedHashMap<>(details);
        d.put(key, value);
        return new Provenance(kind, created, version, host, java, os, arch, engines, d);
    }

    /** The run folder this artifact belongs to, or null when it records none. */
    public String runFolder() {
        return details.get("run_folder") instanceof String s ? s : null;
    }

    /** SHA-256 (hex) of the resolved config YAML, or null when it records none. */
    public String configSha256() {
        return details.get("config_sha256") instanceof String s ? s : null;
    }

    /** The JSON object; {@code step} is appended when {@code step >= 0} (the step a checkpoint holds). */
    public String toJson(long step) {
        ObjectNode n = JSON.createObjectNode();
        n.put("kind", kind).put("created", created).put("jepa4j_version", version).put("host", host).put("java", java);
        if (os != null) {
            n.put("os", os);
        }
        if (arch != null) {
            n.put("arch", arch);
        }
        if (!engines.isEmpty()) {
            engines.forEach(n.putObject("engines")::put);
        }
        for (Map.Entry<String, Object> e : details.entrySet()) {
            n.putPOJO(e.getKey(), e.getValue());
        }
        if (step >= 0) {
            n.put("step", step);
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads what {@link #toJson} wrote. Files written before the kinds were unified are read too: a
     * training record without {@code kind}, {@code time} for {@code created}, {@code run} for
     * {@code run_folder}; records written before the platform entries have a null {@code os} and
     * {@code arch} and no engines.
     *
     * @throws IllegalArgumentException when {@code json} is not a JSON object
     */
    public static Provenance parse(String json) {
        Map<String, Object> all;
        try {
            all = JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException e) {
            throw new IllegalArgumentException("provenance is not a JSON object: " + e.getMessage(), e);
        }
        if (all == null) {
            throw new IllegalArgumentException("provenance is not a JSON object: null");
        }
        String kind = text(all.remove("kind"));
        String created = text(all.remove("created"));
        Object time = all.remove("time");
        if (created == null) {
            created = text(time);
        }
        String version = text(all.remove("jepa4j_version"));
        String host = text(all.remove("host"));
        String java = text(all.remove("java"));
        String os = text(all.remove("os"));
        String arch = text(all.remove("arch"));
        Map<String, String> engines = new LinkedHashMap<>();
        if (all.remove("engines") instanceof Map<?, ?> m) {
            m.forEach((k, v) -> engines.put(String.valueOf(k), text(v)));
        }
        all.remove("step");
        if (!all.containsKey("run_folder") && all.get("run") instanceof String run) {
            all.remove("run");
            all.put("run_folder", run);
        }
        if (kind == null) {
            kind = all.containsKey("config_sha256") ? TRAINING : "unknown";
        }
        return new Provenance(kind, created, version, host, java, os, arch, engines, all);
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
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
