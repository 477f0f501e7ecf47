package org.jepa4j.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

/**
 * Free ports for servers that must be named before they start, in tests and benchmarks: TensorFlow
 * cluster workers (every worker is given the whole cluster's addresses, so none can bind port 0 and
 * report its port), the {@code tools/train-cluster} script's {@code --base-port}, a port where
 * nothing listens.
 *
 * <p>The usual trick, binding port 0, reading the port and closing the socket, races: between the
 * close and the worker's bind the kernel may hand that very port to anyone who binds port 0 or opens
 * an outgoing connection, since it takes both from its ephemeral range
 * ({@code /proc/sys/net/ipv4/ip_local_port_range}, 32768-60999 by default on Linux); on a machine
 * running other tests, Maven and Spark at the same time, it does. This class picks ports outside
 * that range instead, which the kernel never hands out by itself: at random in
 * 20000..(lower bound - 1), or above the upper bound where the range leaves too little below,
 * each checked by binding it (on every address, as the cluster server does). What remains is
 * two programs picking the same random port in the moment before either binds it: about one in ten
 * thousand, instead of the kernel's deliberate reuse.
 *
 * <p>Servers that can report their port (HTTP servers in tests) should keep binding port 0.
 */
public final class LoopbackPorts {
    /** Where Linux keeps the ephemeral range ("lower upper"). */
    public static final Path EPHEMERAL_RANGE_FILE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** Linux's default ephemeral range, assumed where {@link #EPHEMERAL_RANGE_FILE} does not exist. */
    public static final PortRange LINUX_DEFAULT = new PortRange(32768, 60999);
    /** The lowest port picked while enough lie between it and the ephemeral range (below: registered services). */
    static final int FLOOR = 20000;
    /** A stretch of ports outside the ephemeral range smaller than this is not used while a larger one exists. */
    static final int ENOUGH = 1000;
    /** Tries before giving up on finding free ports. */
    static final int ATTEMPTS = 200;

    private LoopbackPorts() {
    }

    /**
     * An inclusive range of ports.
     *
     * @param lower the first port
     * @param upper the last port
     */
    public record PortRange(int lower, int upper) {
        /** @throws IllegalArgumentException unless {@code 1 <= lower <= upper <= 65535} */
        public PortRange {
            if (lower < 1 || upper > 65535 || lower > upper) {
                throw new IllegalArgumentException("port range " + lower + "-" + upper
                        + ": expected 1 <= lower <= upper <= 65535");
            }
        }

        /** @return how many ports it holds */
        public int size() {
            return upper - lower + 1;
        }

        /** @return whether {@code port} lies in it */
        public boolean contains(int port) {
            return port >= lower && port <= upper;
        }
    }

    /**
     * One free port outside the ephemeral range.
     *
     * @return a port nothing was bound to when it was checked
     */
    public static int free() {
        return distinct(1)[0];
    }

    /**
     * {@code n} different free ports outside the ephemeral range.
     *
     * @param n how many
     * @return the ports, all different, each free when it was checked
     */
    public static int[] distinct(int n) {
        return pick(n, false, ephemeralRange(), ThreadLocalRandom.current(), LoopbackPorts::bindable);
    }

    /**
     * The first of {@code n} consecutive free ports outside the ephemeral range: a base port for
     * {@code tools/train-cluster --base-port}, which gives worker i the i-th free port from there.
     *
     * @param n how many consecutive ports must be free
     * @return the first of them
     */
    public static int consecutive(int n) {
        return pick(n, true, ephemeralRange(), ThreadLocalRandom.current(), LoopbackPorts::bindable)[0];
    }

    /**
     * A cluster of {@code n} workers on 127.0.0.1, as {@code --cluster} takes it.
     *
     * @param n how many workers
     * @return {@code 127.0.0.1:p0,127.0.0.1:p1,...} with {@link #distinct} ports
     */
    public static String cluster(int n) {
        StringJoiner j = new StringJoiner(",");
        for (int p : distinct(n)) {
            j.add("127.0.0.1:" + p);
        }
        return j.toString();
    }

    /**
     * This machine's ephemeral range: {@link #EPHEMERAL_RANGE_FILE}, or {@link #LINUX_DEFAULT}
     * where the file does not exist (not Linux, or no /proc).
     *
     * @return the range the kernel picks port 0 and outgoing ports from
     * @throws IllegalStateException when the file exists but does not hold a range
     */
    public static PortRange ephemeralRange() {
        if (!Files.isReadable(EPHEMERAL_RANGE_FILE)) {
            return LINUX_DEFAULT;
        }
        // one read from offset 0: a sysctl file answers a read at any later offset with end of file,
        // so Files.readString, which reads one byte first (the file's size being 0), sees only that byte
        try (InputStream in = Files.newInputStream(EPHEMERAL_RANGE_FILE)) {
            return parseRange(new String(in.readNBytes(256), StandardCharsets.US_ASCII), EPHEMERAL_RANGE_FILE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + EPHEMERAL_RANGE_FILE, e);
        }
    }

    /**
     * Parses the ephemeral range file's content: two port numbers separated by white space.
     *
     * @param content the file's text, e.g. {@code "32768\t60999\n"}
     * @param file    the file, for the message
     * @return the range
     * @throws IllegalStateException naming the file and the content when it is not a range
     */
    static PortRange parseRange(String content, Path file) {
        String[] words = content.strip().split("\\s+");
        try {
            if (words.length == 2) {
                return new PortRange(Integer.parseInt(words[0]), Integer.parseInt(words[1]));
            }
        } catch (IllegalArgumentException e) { // NumberFormatException included
            // reported below
        }
        throw new IllegalStateException(file + ": '" + content.strip() + "' is not a port range, expected two ports"
                + " 'lower upper' with 1 <= lower <= upper <= 65535");
    }

    /**
     * The stretches of ports to pick from, outside {@code ephemeral}: {@link #FLOOR} up to below it
     * where that holds {@link #ENOUGH} ports, else above it up to 65535 where that does, else every
     * port from 1024 outside it.
     */
    static List<PortRange> candidates(PortRange ephemeral) {
        if (ephemeral.lower() - FLOOR >= ENOUGH) {
            return List.of(new PortRange(FLOOR, ephemeral.lower() - 1));
        }
        if (65535 - ephemeral.upper() >= ENOUGH) {
            return List.of(new PortRange(ephemeral.upper() + 1, 65535));
        }
        List<PortRange> any = new ArrayList<>();
        addIfAny(any, 1024, ephemeral.lower() - 1);
        addIfAny(any, Math.max(1024, ephemeral.upper() + 1), 65535);
        if (any.isEmpty()) {
            throw new IllegalStateException("the ephemeral port range " + ephemeral.lower() + "-" + ephemeral.upper()
                    + " leaves no port from 1024 outside it");
        }
        return any;
    }

    private static void addIfAny(List<PortRange> to, int lower, int upper) {
        if (lower <= upper) {
            to.add(new PortRange(lower, upper));
        }
    }

    /**
     * {@code n} ports outside {@code ephemeral} that {@code free} accepts: different ports, or
     * {@code n} consecutive ones (returned in order).
     *
     * @throws IllegalStateException when {@link #ATTEMPTS} random tries per port find none
     */
    static int[] pick(int n, boolean consecutive, PortRange ephemeral, RandomGenerator random, IntPredicate free) {
        if (n < 1) {
            throw new IllegalArgumentException("ports wanted: " + n + ", expected at least 1");
        }
        List<PortRange> from = new ArrayList<>(candidates(ephemeral));
        if (consecutive) {
            from.removeIf(r -> r.size() < n);
        }
        int total = from.stream().mapToInt(r -> consecutive ? r.size() - n + 1 : r.size()).sum();
        if (total <= 0 || (!consecutive && total < n)) {
            throw new IllegalStateException(n + " ports wanted, but only " + from + " lie outside the ephemeral range "
                    + ephemeral.lower() + "-" + ephemeral.upper());
        }
        Set<Integer> chosen = new LinkedHashSet<>();
        for (int attempt = 0; attempt < ATTEMPTS * n && chosen.size() < n; attempt++) {
            int first = nth(from, random.nextInt(total), consecutive ? n : 1);
            if (consecutive) {
                int[] run = new int[n];
                boolean all = true;
                for (int i = 0; i < n && all; i++) {
                    run[i] = first + i;
                    all = free.test(run[i]);
                }
                if (all) {
                    return run;
                }
            } else if (!chosen.contains(first) && free.test(first)) {
                chosen.add(first);
            }
        }
        if (chosen.size() < n) {
            throw new IllegalStateException("no " + n + (consecutive ? " consecutive" : "") + " free ports found in "
                    + from + " after " + ATTEMPTS * n + " tries");
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The {@code k}-th start position over the ranges, where each range offers {@code size - run + 1} starts. */
    private static int nth(List<PortRange> ranges, int k, int run) {
        for (PortRange r : ranges) {
            int starts = r.size() - run + 1;
            if (k < starts) {
                return r.lower() + k;
            }
            k -= starts;
        }
        throw new IllegalStateException("start " + k + " lies beyond " + ranges);
    }

    /** Whether {@code port} can be bound on every address now (as the cluster server's check binds it). */
    static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
