package org.jepa4j.serve;

/**
 * A request the server refuses: an HTTP status, a short machine-readable kind (the {@code kind}
 * label of the errors metric) and a message naming the input and what was expected.
 */
public final class RequestError extends RuntimeException {
    private final int status;
    private final String kind;

    public RequestError(int status, String kind, String message) {
        super(message);
        this.status = status;
        this.kind = kind;
    }

    public RequestError(int status, String kind, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.kind = kind;
    }

    public int status() {
        return status;
    }

    public String kind() {
        return kind;
    }
}
