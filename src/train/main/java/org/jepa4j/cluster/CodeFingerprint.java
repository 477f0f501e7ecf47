package org.jepa4j.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A hash of the jepa4j classes that define a training run (data, recipe, checkpoint format, the
 * graphs and the loop), from their bytes rather than their jar files: two builds of the same source agree
 * although their jars' timestamps differ, and a worker running changed code is told apart from the
 * others although the project version is the same.
 */
final class CodeFingerprint {
    /** One class from each module whose code shapes the run (the same jar counts once). */
    private static final List<Class<?>> ANCHORS = List.of(org.jepa4j.data.ImageDataset.class,
            org.jepa4j.config.RunConfig.class, org.jepa4j.mask.MaskSampler.class, org.jepa4j.checkpoint.Checkpoint.class,
            RunAgreement.class, org.jepa4j.graph.Tensors.class);

    private static final String VALUE = compute();

    private CodeFingerprint() {
    }

    /** The first 16 hex digits of the SHA-256 over every {@code org/jepa4j} class's name and bytes. */
    static String current() {
        return VALUE;
    }

    private static String compute() {
        Set<Path> sources = new LinkedHashSet<>();
        for (Class<?> c : ANCHORS) {
            CodeSource cs = c.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null) {
                return "unknown";
            }
            try {
                sources.add(Path.of(cs.getLocation().toURI()));
            } catch (URISyntaxException | IllegalArgumentException e) {
                return "unknown";
            }
        }
        TreeMap<String, byte[]> classes = new TreeMap<>();
        try {
            for (Path p : sources) {
                if (Files.isDirectory(p)) {
                    List<Path> files = new ArrayList<>();
                    try (Stream<Path> s = Files.walk(p.resolve("org/jepa4j"))) {
                        s.filter(f -> f.toString().endsWith(".class")).forEach(files::add);
                    }
                    for (Path f : files) {
                        classes.put(p.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                    }
                } else {
                    try (InputStream in = Files.newInputStream(p); ZipInputStream zip = new ZipInputStream(in)) {
                        for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                            if (e.getName().startsWith("org/jepa4j/") && e.getName().endsWith(".class")) {
                                classes.put(e.getName(), zip.readAllBytes());
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("hashing the jepa4j classes under " + sources + ": " + e.getMessage(), e);
        }
        MessageDigest md = RunAgreement.sha256Digest();
        classes.forEach((name, bytes) -> {
            md.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(bytes);
        });
        return RunAgreement.hex(md.digest()).substring(0, 16);
    }
}
