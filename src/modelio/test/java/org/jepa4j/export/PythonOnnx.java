package org.jepa4j.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's python3-onnx checker ({@code onnx.checker.check_model(..., full_check=True)}). */
final class PythonOnnx {
    private PythonOnnx() {
    }

    record Outcome(int exitCode, String output) {
    }

    /** A python3 that can import onnx ({@code python3} on the PATH, else {@code /usr/bin/python3}), or null. */
    static String find() {
        for (String p : List.of("python3", "/usr/bin/python3")) {
            try {
                if (run(p, "import onnx").exitCode() == 0) {
                    return p;
                }
            } catch (IOException e) {
                // not installed under this name
            }
        }
        return null;
    }

    static Outcome check(String python, Path model) throws IOException {
        return run(python, "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)",
                model.toAbsolutePath().toString());
    }

    private static Outcome run(String python, String code, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(python, "-c", code));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Outcome(-1, "timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Outcome(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
