package org.jepa4j.importer;

/** The source file does not fit the model asked for (shapes, missing or unexpected tensors, heads). */
public final class ImportException extends Exception {
    private static final long serialVersionUID = 1L;

    public ImportException(String message) {
        super(message);
    }
}
