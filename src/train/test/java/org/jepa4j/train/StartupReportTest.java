package org.jepa4j.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartupReportTest {

    @Test
    void notesWhenExplicitThreadCountsLeaveCoresIdle() {
        String note = StartupReport.coreUseNote(1, 2, 16);
        assertTrue(note != null && note.contains("2 of this machine's 16 cores") && note.contains("meta.towers"), note);
        assertEquals(null, StartupReport.coreUseNote(1, 2, 2));
        assertEquals(null, StartupReport.coreUseNote(0, 2, 16), "0 = TensorFlow's default, sized to the machine");
        assertEquals(null, StartupReport.coreUseNote(4, 4, 16));
    }
}
