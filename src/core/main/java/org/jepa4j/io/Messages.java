package org.jepa4j.io;

/**
 * Error messages as jepa4j shows them: one line each, so a failure reads as one {@code error: ...}
 * line on a terminal and one row in a log, whoever wrote the message underneath (SnakeYAML's
 * messages point at a column over three lines, ONNX Runtime's carry the provider's trace).
 */
public final class Messages {
    private Messages() {
    }

    /**
     * A message on one line. The rule: the message's lines, each stripped of the white space around
     * it and blank ones dropped, joined with {@code "; "}; white space inside a line stays as it is.
     * {@code "not valid YAML\n  in 'reader', line 1\n"} becomes
     * {@code "not valid YAML; in 'reader', line 1"}.
     *
     * @param message a message, possibly of several lines; {@code null} reads as empty
     * @return its lines joined with {@code "; "} (empty for a blank or absent message)
     */
    public static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "";
        }
        return String.join("; ", message.strip().split("\\s*\\R\\s*"));
    }

    /**
     * A failure's message on one line ({@link #oneLine(String)}), or its class's simple name when it
     * has no message, so the cause is never an empty pair of brackets.
     *
     * @param failure what failed
     * @return its message on one line, or its class's simple name
     */
    public static String oneLine(Throwable failure) {
        String m = oneLine(failure.getMessage());
        return m.isEmpty() ? failure.getClass().getSimpleName() : m;
    }
}
