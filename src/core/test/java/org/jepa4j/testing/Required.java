package org.jepa4j.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Assumptions about the machine (the Fashion-MNIST dataset, Python's onnx checker): a test whose
 * assumption fails is skipped on a developer's machine, but fails when the system property
 * {@code jepa4j.requireAll} is {@code true} (Maven's {@code ci} profile sets it), so a CI run
 * can never pass with skipped tests.
 */
public final class Required {
    /** System property that turns failed assumptions into failures. */
    public static final String PROPERTY = "jepa4j.requireAll";

    private Required() {
    }

    /** Skips (or, under {@value #PROPERTY}, fails) the calling test unless {@code condition} holds. */
    public static void assume(boolean condition, String what) {
        if (condition) {
            return;
        }
        if (Boolean.getBoolean(PROPERTY)) {
            Assertions.fail(what + " (required: -D" + PROPERTY + "=true)");
        }
        Assumptions.assumeTrue(false, what);
    }
}
