package org.jepa4j.net;

import org.jepa4j.net.LoopbackPorts.PortRange;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoopbackPortsTest {
    private static final Path FILE = Path.of("ip_local_port_range");

    @Test
    void theRangeFileIsTwoPortsSeparatedByWhiteSpace() {
        assertEquals(new PortRange(32768, 60999), LoopbackPorts.parseRange("32768\t60999\n", FILE));
        assertEquals(new PortRange(1024, 65000), LoopbackPorts.parseRange("  1024   65000", FILE));
        for (String bad : List.of("", "32768", "32768 60999 7", "low high", "60999 32768", "0 100", "1024 70000")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> LoopbackPorts.parseRange(bad, FILE));
            assertTrue(e.getMessage().startsWith("ip_local_port_range: '" + bad.strip() + "' is not a port range"),
                    e.getMessage());
        }
    }

    @Test
    void theMachinesRangeIsReadWhole() throws Exception {
        Path file = LoopbackPorts.EPHEMERAL_RANGE_FILE;
        if (!Files.isReadable(file)) {
            assertEquals(LoopbackPorts.LINUX_DEFAULT, LoopbackPorts.ephemeralRange());
            return;
        }
        // read here line-wise, through a buffer: "lower<TAB>upper"
        String[] words = Files.readAllLines(file).get(0).trim().split("\\s+");
        assertEquals(new PortRange(Integer.parseInt(words[0]), Integer.parseInt(words[1])), LoopbackPorts.ephemeralRange());
    }

    @Test
    void portsAreTakenBelowTheEphemeralRangeOrAboveItWhereTooFewLieBelow() {
        assertEquals(List.of(new PortRange(20000, 32767)), LoopbackPorts.candidates(new PortRange(32768, 60999)));
        assertEquals(List.of(new PortRange(61000, 65535)), LoopbackPorts.candidates(new PortRange(20500, 60999)));
        // neither side holds 1000 ports: whatever lies outside, from 1024
        assertEquals(List.of(new PortRange(1024, 1499), new PortRange(65001, 65535)),
                LoopbackPorts.candidates(new PortRange(1500, 65000)));
        assertThrows(IllegalStateException.class, () -> LoopbackPorts.candidates(new PortRange(1024, 65535)));
    }

    @Test
    void distinctPortsLieOutsideTheEphemeralRangeAndCanAllBeBoundAtOnce() throws Exception {
        PortRange ephemeral = LoopbackPorts.ephemeralRange();
        int[] ports = LoopbackPorts.distinct(16);
        assertEquals(16, Arrays.stream(ports).distinct().count(), Arrays.toString(ports));
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int p : ports) {
                assertFalse(ephemeral.contains(p), p + " lies in the ephemeral range " + ephemeral);
                assertTrue(p >= 1024, p + " is a privileged port");
                ServerSocket s = new ServerSocket();
                held.add(s);
                s.bind(new InetSocketAddress("127.0.0.1", p)); // throws if it was handed out twice or is taken
            }
            // and one that is held is not free any more
            assertFalse(LoopbackPorts.bindable(ports[0]));
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    @Test
    void consecutivePortsAreFreeOneAfterAnother() throws Exception {
        PortRange ephemeral = LoopbackPorts.ephemeralRange();
        int base = LoopbackPorts.consecutive(3);
        try (ServerSocket a = new ServerSocket(); ServerSocket b = new ServerSocket(); ServerSocket c = new ServerSocket()) {
            a.bind(new InetSocketAddress("127.0.0.1", base));
            b.bind(new InetSocketAddress("127.0.0.1", base + 1));
            c.bind(new InetSocketAddress("127.0.0.1", base + 2));
        }
        for (int p = base; p < base + 3; p++) {
            assertFalse(ephemeral.contains(p), p + " lies in the ephemeral range " + ephemeral);
        }
    }

    @Test
    void aClusterNamesDistinctLoopbackAddresses() {
        String[] workers = LoopbackPorts.cluster(3).split(",");
        assertEquals(3, workers.length);
        assertEquals(3, Arrays.stream(workers).distinct().count());
        for (String w : workers) {
            assertTrue(w.matches("127\\.0\\.0\\.1:\\d+"), w);
        }
    }

    @Test
    void portsThatAreTakenAreSkipped() {
        PortRange ephemeral = new PortRange(32768, 60999);
        SplittableRandom random = new SplittableRandom(1);
        for (int round = 0; round < 50; round++) {
            int[] odd = LoopbackPorts.pick(5, false, ephemeral, random, p -> p % 2 == 1);
            assertEquals(5, Arrays.stream(odd).distinct().count());
            assertTrue(Arrays.stream(odd).allMatch(p -> p % 2 == 1 && p >= 20000 && p < 32768), Arrays.toString(odd));
            int[] run = LoopbackPorts.pick(2, true, ephemeral, random, p -> p % 3 != 0);
            assertEquals(run[0] + 1, run[1]);
            assertTrue(run[0] % 3 != 0 && run[1] % 3 != 0 && run[0] >= 20000 && run[1] < 32768, Arrays.toString(run));
        }
    }

    @Test
    void whenNothingIsFreeTheSearchEndsWithAClearError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LoopbackPorts.pick(2, true,
                new PortRange(32768, 60999), new SplittableRandom(2), p -> false));
        assertTrue(e.getMessage().startsWith("no 2 consecutive free ports found in"), e.getMessage());
        // a stretch of 4 ports cannot give 5 different ones
        assertThrows(IllegalStateException.class, () -> LoopbackPorts.pick(5, false,
                new PortRange(1028, 65535), new SplittableRandom(3), p -> true));
    }
}
