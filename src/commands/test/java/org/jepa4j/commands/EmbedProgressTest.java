package org.jepa4j.commands;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbedProgressTest {

    private static String run(boolean interactive) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        org.jepa4j.infer.ProgressBar p = new org.jepa4j.infer.ProgressBar(1000, err, interactive);
        for (int done = 1; done <= 1000; done++) {
            p.update(done);
        }
        p.finish();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aLogGetsWholeLinesAndNoCarriageReturns() {
        String log = run(false);
        assertFalse(log.contains("\r"), log);
        // updates in quick succession: only the final count is written, as one line
        assertEquals(1, log.lines().count(), log);
        assertTrue(log.startsWith("[##############################] 1000/1000 "), log);
        assertTrue(log.endsWith(System.lineSeparator()), log);
    }

    @Test
    void aTerminalGetsOneBarRedrawnInPlace() {
        String tty = run(true);
        assertTrue(tty.startsWith("\r["), tty);
        // redraws start with a carriage return; the only line break is the one after the bar
        assertEquals(1, tty.chars().filter(c -> c == '\n').count(), tty);
        assertTrue(tty.endsWith("ETA 0:00" + System.lineSeparator()) && tty.contains("1000/1000"), tty);
    }
}
