package org.jepa4j.nativeimage;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code jepa4j} commands as separate processes: the native executable the {@code native}
 * profile built, and the same command line on this JVM, so their outputs, messages and exit codes
 * can be compared.
 */
final class Runs {
    private Runs() {
    }

    /** What a finished command left: exit code, standard output and standard error. */
    record Result(int code, String out, String err) {
    }

    /**
     * The executable under test: system property {@code jepa4j.native.executable} (set by the
     * native profile); a missing executable fails the test, it never skips it.
     */
    static Path executable() {
        String p = System.getProperty("jepa4j.native.executable");
        if (p == null || !Files.isExecutable(Path.of(p))) {
            throw new IllegalStateException("no native executable at " + p + ": build it with mvn -Pnative package");
        }
        return Path.of(p);
    }

    /** The command line of the native executable. */
    static List<String> nativeCommand(Path executable, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(executable.toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The same command line on a JVM, as tools/jepa4j runs it (headless, class path of these tests). */
    static List<String> jvmCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djava.awt.headless=true");
        if (Runtime.version().feature() >= 22) { // as tools/jepa4j: no warning when ONNX Runtime loads its library
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Jepa4jNative.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs a command to its end (at most two minutes) in {@code dir}. */
    static Result run(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + cmd);
        }
        Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return r;
    }
}
