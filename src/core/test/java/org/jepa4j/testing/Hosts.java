package org.jepa4j.testing;

import org.junit.jupiter.api.Assertions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Separate network hosts on this machine for tests: {@code tools/hosts} (network namespaces joined
 * by a bridge in a namespace of its own, each host with its own tmpfs disk) driven from JUnit.
 * Host {@code i} has address {@link #address}, sees its own disk at {@link #diskMountPoint()} (the
 * test reads it at {@link #disk}), and shares every other folder with the test. Needs root: a
 * test that makes hosts fails with one line saying so when it is not root.
 *
 * <p>{@link #close} ends every process left on the hosts and removes the namespaces and disks; a
 * shutdown hook does it too when the JVM ends without closing, and a set whose test JVM was
 * killed is removed by the next {@link #create} (its name carries the owning process id).
 */
public final class Hosts implements AutoCloseable {
    private static final AtomicInteger SETS = new AtomicInteger();

    private final String id;
    private final int count;
    private final Path tool;
    private final Thread hook;
    private final List<Process> started = new ArrayList<>();
    private boolean closed;

    private Hosts(String id, int count, Path tool) {
        this.id = id;
        this.count = count;
        this.tool = tool;
        this.hook = new Thread(this::down, "jepa4j-hosts-teardown-" + id);
    }

    /**
     * Makes {@code count} hosts.
     *
     * @throws AssertionError (one line) when not root, or when the hosts cannot be made
     */
    public static Hosts create(int count) throws IOException, InterruptedException {
        requireRoot();
        Path tool = repositoryRoot().resolve("tools/hosts");
        String id = "j4h" + ProcessHandle.current().pid() + "x" + Integer.toHexString(SETS.incrementAndGet());
        Hosts hosts = new Hosts(id, count, tool);
        Runtime.getRuntime().addShutdownHook(hosts.hook);
        String out = hosts.tool(120, "up", Integer.toString(count), "--id", id, "--owner",
                Long.toString(ProcessHandle.current().pid()));
        if (!out.strip().endsWith(id)) {
            hosts.close();
            Assertions.fail("tools/hosts up " + count + " did not make host set " + id + ": " + out);
        }
        return hosts;
    }

    /** Fails the calling test with one line unless this process runs as root. */
    public static void requireRoot() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        if (!uid.equals("0")) {
            Assertions.fail("separate network hosts (tools/hosts: network and mount namespaces) need root;"
                    + " this test runs as uid " + uid + " (CI runs as root)");
        }
    }

    /** The jepa4j checkout this test runs from: the folder above the working directory holding tools/hosts. */
    public static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("tools/hosts"))) {
                return p;
            }
        }
        throw new IllegalStateException("no tools/hosts above " + Path.of("").toAbsolutePath());
    }

    /** The set's name (every namespace of it starts with it). */
    public String id() {
        return id;
    }

    /** Hosts in the set. */
    public int count() {
        return count;
    }

    /** Host {@code i}'s address (a private one, only inside the set's namespaces). */
    public String address(int i) {
        check(i);
        return "10.231.0." + (10 + i);
    }

    /** The folder at which every host sees its own disk (and only its own). */
    public Path diskMountPoint() {
        return Path.of("/run/jepa4j-hosts", id, "disk");
    }

    /** Host {@code i}'s disk as this test process sees it (to plant or check files). */
    public Path disk(int i) {
        check(i);
        return Path.of("/run/jepa4j-hosts", id, "disks", "h" + i);
    }

    /**
     * Starts {@code command} on host {@code i}, its output (both streams) appended to {@code log};
     * the process is the command itself (the launcher execs it), so destroying it ends the command.
     */
    public Process start(int i, List<String> command, Map<String, String> env, Path log) throws IOException {
        check(i);
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), "run", id, Integer.toString(i)));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    /** Runs {@code command} on host {@code i} to its end (at most {@code seconds}); its output. */
    public String run(int i, long seconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("jepa4j-hosts-", ".log");
        try {
            Process p = start(i, List.of(command), Map.of(), log);
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                Assertions.fail("on host " + i + ", " + String.join(" ", command) + " ran past " + seconds + " s: "
                        + Files.readString(log));
            }
            String out = Files.readString(log);
            if (p.exitValue() != 0) {
                Assertions.fail("on host " + i + ", " + String.join(" ", command) + " exited with " + p.exitValue()
                        + ": " + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Cuts host {@code i}'s link to the others (its processes keep running: a partition). */
    public void linkDown(int i) throws IOException, InterruptedException {
        check(i);
        tool(30, "link", id, Integer.toString(i), "down");
    }

    /** Restores host {@code i}'s link. */
    public void linkUp(int i) throws IOException, InterruptedException {
        check(i);
        tool(30, "link", id, Integer.toString(i), "up");
    }

    /** Ends every process on the hosts, removes the namespaces and disks. */
    @Override
    public void close() {
        down();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs (or ran) down() itself
        }
    }

    private synchronized void down() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (started) {
            started.forEach(Process::destroyForcibly);
        }
        try {
            tool(60, "down", id);
        } catch (IOException | InterruptedException | AssertionError e) {
            System.err.println("tools/hosts down " + id + " failed: " + e.getMessage());
        }
    }

    private void check(int i) {
        if (i < 0 || i >= count) {
            throw new IllegalArgumentException("host " + i + " of a set of " + count);
        }
    }

    private String tool(long seconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(tool.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            Assertions.fail("tools/hosts " + String.join(" ", args) + " exited with " + p.exitValue() + ": " + text.strip());
        }
        return text;
    }
}
