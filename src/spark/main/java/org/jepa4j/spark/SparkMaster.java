package org.jepa4j.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks a {@code --master} before Spark starts: a form Spark accepts, and for a standalone master
 * ({@code spark://HOST:PORT[,HOST:PORT]}) that something listens at one of its addresses. Spark itself
 * would accept a malformed URL late and retry an unreachable master for a minute, with stack traces,
 * after the output was checked and the session built.
 */
final class SparkMaster {
    /** The forms accepted, for messages. */
    static final String FORMS = "local, local[N], local[*], local[N,F], local-cluster[N,C,MB],"
            + " spark://HOST:PORT[,HOST:PORT...], yarn, k8s://https://HOST:PORT";
    private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|[1-9][0-9]{0,4})(,[0-9]{1,4})?])?");
    /** Spark's test cluster in one machine: N workers of C cores and MB megabytes each. */
    private static final Pattern LOCAL_CLUSTER = Pattern.compile(
            "local-cluster\\[[1-9][0-9]{0,2},\\s*[1-9][0-9]{0,3},\\s*[1-9][0-9]{0,6}]");
    private static final Pattern HOST_PORT = Pattern.compile("([A-Za-z0-9.\\-]+|\\[[0-9A-Fa-f:.]+]):([0-9]{1,5})");
    /** How long one address may take to accept a connection. */
    static final int CONNECT_TIMEOUT_MS = 5000;

    private SparkMaster() {
    }

    /**
     * @throws IllegalArgumentException naming the value and what was expected, or the address that
     *                                  does not answer
     */
    static void check(String master) {
        if (master == null || master.isBlank()) {
            throw new IllegalArgumentException("--master is empty; expected one of " + FORMS);
        }
        String m = master.strip();
        if (LOCAL.matcher(m).matches() || LOCAL_CLUSTER.matcher(m).matches() || m.equals("yarn")) {
            return;
        }
        if (m.toLowerCase(Locale.ROOT).startsWith("k8s://")) {
            if (m.length() <= "k8s://".length()) {
                throw new IllegalArgumentException("--master " + m + ": a Kubernetes master needs the API server's URL,"
                        + " expected k8s://https://HOST:PORT");
            }
            return;
        }
        if (!m.startsWith("spark://")) {
            throw new IllegalArgumentException("--master " + m + ": not a master Spark accepts, expected one of " + FORMS);
        }
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (String hp : m.substring("spark://".length()).split(",", -1)) {
            var matcher = HOST_PORT.matcher(hp.strip());
            int port = matcher.matches() ? Integer.parseInt(matcher.group(2)) : -1;
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--master " + m + ": '" + hp + "' is not HOST:PORT with a port in"
                        + " 1..65535; expected spark://HOST:PORT[,HOST:PORT...]");
            }
            String host = matcher.group(1).replace("[", "").replace("]", "");
            addresses.add(InetSocketAddress.createUnresolved(host, port));
        }
        List<String> problems = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            String problem = unreachable(a.getHostString(), a.getPort());
            if (problem == null) {
                return; // a standalone master with standbys needs one live address
            }
            problems.add(a.getHostString() + ":" + a.getPort() + " " + problem);
        }
        throw new IllegalArgumentException("--master " + m + ": no Spark master answers (" + String.join("; ", problems)
                + "); start the master, or check the address");
    }

    /** Why nothing accepts a connection at {@code host:port}, or null when something does. */
    private static String unreachable(String host, int port) {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            return "is an unknown host";
        }
        try (Socket s = new Socket()) {
            s.connect(address, CONNECT_TIMEOUT_MS);
            return null;
        } catch (java.net.SocketTimeoutException e) {
            return "did not accept a connection within " + CONNECT_TIMEOUT_MS / 1000 + " s";
        } catch (IOException e) {
            return "refused the connection (" + e.getMessage() + ")";
        }
    }
}
