package org.jepa4j.testing;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A real full disk for tests of failed writes: Linux's {@code /dev/full} answers every write with
 * ENOSPC, the error a full disk gives; and the check that a failed write leaves nothing behind.
 */
public final class FullDisk {
    private static final Path DEV_FULL = Path.of("/dev/full");

    private FullDisk() {
    }

    /** Skips the calling test (fails it under {@link Required#PROPERTY}) where there is no {@code /dev/full}. */
    public static void require() {
        Required.assume(Files.isWritable(DEV_FULL), "/dev/full (Linux) to produce a real ENOSPC");
    }

    /**
     * Writes to {@code /dev/full}, as a write on a full disk would.
     *
     * @throws IOException always: no space left on the device
     */
    public static void write() throws IOException {
        try (FileOutputStream full = new FileOutputStream(DEV_FULL.toFile())) {
            full.write(new byte[4096]);
        }
    }

    /** Asserts {@code dir} is empty: a failed write left neither its target nor a temporary file. */
    public static void assertNothingLeft(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count(), "no target and no temporary file are left in " + dir);
        }
    }
}
