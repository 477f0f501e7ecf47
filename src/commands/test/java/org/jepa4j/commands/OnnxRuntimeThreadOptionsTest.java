package org.jepa4j.commands;

import org.jepa4j.infer.ExtractorOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OnnxRuntimeThreadOptionsTest {

    /** A command with only the mixin, as embed, eval and serve declare it. */
    static final class Holder {
        @Mixin
        OnnxRuntimeThreadOptions runtime;
    }

    private static ExtractorOptions parse(int commandDefault, String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.runtime.applyTo(ExtractorOptions.builder(), commandDefault).build();
    }

    @Test
    void theCommandsDefaultLaneCountAppliesUnlessLanesIsGiven() {
        assertEquals(5, parse(5).lanes());
        assertEquals(1, parse(1).lanes());
        assertEquals(3, parse(5, "--lanes", "3").lanes());
        assertEquals(1, parse(5, "--lanes", "1").lanes(), "an explicit 1 beats the default");
        assertEquals(0, parse(5).intraOpThreads());
        assertEquals(4, parse(5, "--threads", "4").intraOpThreads());
        assertEquals(Runtime.getRuntime().availableProcessors(), OnnxRuntimeThreadOptions.onePerProcessor());
    }
}
