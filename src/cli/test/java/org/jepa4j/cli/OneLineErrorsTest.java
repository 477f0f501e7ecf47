package org.jepa4j.cli;

import org.jepa4j.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.BufferUnderflowException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every failure a command reports is one {@code error:} line; the stack trace only with JEPA4J_DEBUG=1. */
class OneLineErrorsTest {
    private static List<String> report(Exception e, boolean debug, int expectedCode) {
        StringWriter out = new StringWriter();
        assertEquals(expectedCode, Jepa4j.handle(e, new PrintWriter(out, true), debug));
        return out.toString().lines().toList();
    }

    @Test
    void internalExceptionsAreOneLineNamingTheFailureWithTheTraceOnlyOnRequest() {
        List<Exception> internal = List.of(new ArrayIndexOutOfBoundsException("Index 7 out of bounds for length 7"),
                new BufferUnderflowException(), new IllegalStateException("dtype state\nsecond line"),
                new org.apache.commons.math3.exception.MaxCountExceededException(30),
                new RuntimeException(new IOException("inner")));
        for (Exception e : internal) {
            List<String> lines = report(e, false, 1);
            assertEquals(1, lines.size(), e + " -> " + lines);
            assertTrue(lines.get(0).startsWith("error: " + e.getClass().getName()), lines.get(0));
            assertTrue(lines.get(0).contains("JEPA4J_DEBUG=1"), lines.get(0));
            List<String> traced = report(e, true, 1);
            assertTrue(traced.size() > 1 && traced.stream().anyMatch(l -> l.contains("\tat ")), "the trace on request");
        }
    }

    @Test
    void usageAndFileErrorsAreTheirMessageOnOneLineAndConfigErrorsOneLinePerProblem() {
        List<String> usage = report(new IllegalArgumentException("--batch 0: expected\na positive number"), false, 2);
        assertEquals(List.of("error: --batch 0: expected; a positive number"), usage);
        List<String> file = report(new IOException("cannot write /x: no space left"), false, 1);
        assertEquals(List.of("error: cannot write /x: no space left"), file);
        List<String> config = report(new ConfigException("run.yaml", List.of("data.a: bad", "data.b: bad")), false, 2);
        assertEquals(2, config.size(), "one line per problem, as documented: " + config);
        assertFalse(config.get(1).contains("JEPA4J_DEBUG"));
    }
}
