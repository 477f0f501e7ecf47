package org.jepa4j.testing;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host harness itself: separate disks, a link that can be cut, and nothing left behind. */
@Tag("slow")
class HostsTest {
    /**
     * What a TCP connection from the host to {@code address} port 9 (nothing listens there) meets:
     * "refused" when the address answers, "silence" when nothing comes back within 2 s.
     */
    private static String probe(Hosts hosts, int from, String address) throws Exception {
        String out = hosts.run(from, 30, "bash", "-c",
                "timeout 2 bash -c 'exec 3<>/dev/tcp/'\"$0\"'/9' 2>/dev/null; echo \"rc=$?\"", address);
        return out.contains("rc=124") ? "silence" : out.contains("rc=1") ? "refused" : out;
    }

    @Test
    void eachHostHasItsOwnDiskAndAddressAndACutLinkIsSilence() throws Exception {
        String id;
        try (Hosts hosts = Hosts.create(3)) {
            id = hosts.id();
            Path at = hosts.diskMountPoint();
            hosts.run(0, 30, "sh", "-c", "echo only-on-host-0 > \"$0/file\"", at.toString());
            assertEquals("only-on-host-0", Files.readString(hosts.disk(0).resolve("file")).strip());
            assertFalse(Files.exists(hosts.disk(1).resolve("file")));
            assertEquals("", hosts.run(1, 30, "ls", "-A", at.toString()).strip(), "host 1 sees its own, empty disk");
            // no host can reach the others' disks through the folders that hold them
            assertEquals("", hosts.run(2, 30, "ls", "-A", hosts.disk(0).getParent().toString()).strip());
            assertTrue(hosts.run(1, 30, "ip", "-4", "-o", "addr", "show", "dev", "eth0").contains(hosts.address(1) + "/24"));

            assertEquals("refused", probe(hosts, 0, hosts.address(1)), "host 1 answers");
            hosts.linkDown(1);
            assertEquals("silence", probe(hosts, 0, hosts.address(1)), "a cut link answers nothing");
            assertEquals("refused", probe(hosts, 0, hosts.address(2)), "the others still answer");
            hosts.linkUp(1);
            assertEquals("refused", probe(hosts, 0, hosts.address(1)), "the link is back");
        }
        assertFalse(netns().contains(id), "every namespace is removed: " + netns());
        assertFalse(Files.exists(Path.of("/run/jepa4j-hosts", id)));
    }

    @Test
    void theSetOfAKilledOwnerIsRemovedByTheNextStart() throws Exception {
        Process owner = new ProcessBuilder("sleep", "600").start();
        String stale = "j4h" + owner.pid() + "x1";
        Path tool = Hosts.repositoryRoot().resolve("tools/hosts");
        Process up = new ProcessBuilder(tool.toString(), "up", "2", "--id", stale, "--owner", Long.toString(owner.pid()))
                .redirectErrorStream(true).start();
        String out = new String(up.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(up.waitFor(60, TimeUnit.SECONDS) && up.exitValue() == 0, out);
        assertTrue(netns().contains(stale + "-h1"), netns());
        owner.destroyForcibly();
        owner.waitFor();
        try (Hosts fresh = Hosts.create(1)) {
            assertFalse(netns().contains(stale), "the killed owner's hosts are gone: " + netns());
            assertFalse(Files.exists(Path.of("/run/jepa4j-hosts", stale)));
            assertTrue(netns().contains(fresh.id() + "-h0"));
        }
    }

    private static String netns() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
