package org.jepa4j.data;

import java.nio.file.Path;

/** An image file that exists in a dataset's file list but cannot be decoded. */
public final class UnreadableImageException extends RuntimeException {
    private final transient Path file;

    public UnreadableImageException(Path file, String reason, Throwable cause) {
        super("unreadable image " + file + ": " + reason, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
