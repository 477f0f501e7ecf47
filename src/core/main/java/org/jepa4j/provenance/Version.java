package org.jepa4j.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The jepa4j version: the one definition every artifact records (run provenance, ONNX metadata,
 * imports, evaluation reports, {@code --version}). It is the Maven project version, written into
 * {@code org/jepa4j/provenance/version.properties} when the core module is built.
 */
public final class Version {
    private static final String RESOURCE = "version.properties";
    private static final String VALUE = load();

    private Version() {
    }

    /** The version of the jepa4j build on the class path, e.g. {@code 0.1.0}. */
    public static String current() {
        return VALUE;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("org/jepa4j/provenance/" + RESOURCE
                        + " is missing from the class path: build jepa4j-core with Maven");
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            if (v == null || v.isBlank() || v.startsWith("${")) {
                throw new IllegalStateException("org/jepa4j/provenance/" + RESOURCE + " holds no filtered version: " + v);
            }
            return v.trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
