package org.jepa4j.io;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MessagesTest {
    @Test
    void linesAreStrippedAndJoinedWithSemicolons() {
        assertEquals("mapping values are not allowed here; in 'reader', line 1, column 5:; a: b: c; ^",
                Messages.oneLine("mapping values are not allowed here\n in 'reader', line 1, column 5:\n    a: b: c\n"
                        + "        ^\n"));
        assertEquals("first; second; third", Messages.oneLine("first\r\nsecond\rthird"));
    }

    @Test
    void blankLinesVanishAndSpaceInsideALineStays() {
        assertEquals("a  b; c\td", Messages.oneLine("\n  a  b \n\n \t\n c\td  \n"));
        assertEquals("already one line", Messages.oneLine("already one line"));
    }

    @Test
    void absentOrBlankMessagesAreEmpty() {
        assertEquals("", Messages.oneLine((String) null));
        assertEquals("", Messages.oneLine(" \n\t\n"));
    }

    @Test
    void aFailureWithoutAMessageIsNamedByItsClass() {
        assertEquals("IOException", Messages.oneLine(new IOException()));
        assertEquals("IllegalStateException", Messages.oneLine(new IllegalStateException(" \n ")));
        assertEquals("disk full; while writing x", Messages.oneLine(new IOException("disk full\nwhile writing x")));
    }
}
