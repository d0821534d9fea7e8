package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Typed engine options: `apex engines` lists them, declared defaults are the engines' defaults, bad values are named. */
class EnginesCommandTest {
    @Test
    void listsEveryEngineWithEveryOptionItsDefaultAndHelp() {
        Cli r = Cli.run("engines");
        assertEquals(0, r.code(), r.err());
        for (String id : EngineRegistry.ids()) {
            assertTrue(r.out().contains(id + ": "), id + " listed: " + r.out());
            for (EngineOption o : EngineRegistry.declaredOptions(id)) {
                assertTrue(r.out().contains("  " + o.describe()), o.key() + " of " + id + " listed: " + r.out());
                assertFalse(o.help().isBlank(), o.key() + " has help");
            }
        }
        assertTrue(r.out().contains("marginPct=a number in [0, 100) (default 2.0)"), r.out());
        assertTrue(r.out().contains("preemption=recompute|swap (default recompute)"), r.out());
        assertTrue(r.out().contains("openai: "), r.out());
    }

    /** Giving every option at its declared default builds the same engine as giving none. */
    @Test
    void declaredDefaultsAreTheEnginesDefaults() {
        for (String id : EngineRegistry.ids()) {
            Map<String, String> given = new java.util.TreeMap<>();
            for (EngineOption o : EngineRegistry.declaredOptions(id)) {
                if (!o.defaultValue().isEmpty()) given.put(o.key(), o.defaultValue());
            }
            assertEquals(EngineRegistry.create(id, EngineOptions.NONE).description(),
                    EngineRegistry.create(id, new EngineOptions(given)).description(), id + " with " + given);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '#', value = {
        "apex# marginPct# 100# option marginPct: expected a number in [0, 100), got '100'",
        "apex# starvationIterations# 0# option starvationIterations: expected an integer >= 1, got '0'",
        "apex# swapInHysteresis# 0# option swapInHysteresis: expected a number in (0, 1], got '0'",
        "apex# tpotSloMs# -5# option tpotSloMs: expected a number > 0, got '-5'",
        "apex# tpotSloMs# soon# option tpotSloMs: expected a number, got 'soon'",
        "apex# pipeline# maybe# option pipeline: expected true/false, got 'maybe'",
        "apex# starvationIterations# 2.5# option starvationIterations: expected an integer, got '2.5'",
        "static-hybrid:neo# launchMs# -1# option launchMs: expected a number >= 0, got '-1'",
        "static-hybrid:neo# runtime# three-thread# option runtime: expected one of [single-thread, two-thread], got 'three-thread'",
        "gpu-only# preemption# later# option preemption: expected one of [recompute, swap], got 'later'",
        "static-hybrid:offload# launchMs# 1# engine static-hybrid:offload: unknown option(s) [launchMs]; known: []"})
    void badValuesAreRefusedNamingTheOptionAndWhatItAccepts(String id, String key, String value, String message) {
        var e = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create(id, EngineOptions.of(key, value)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void aBadValueOnTheCommandLineIsAnErrorWithoutATrace(@TempDir java.nio.file.Path tmp) {
        Cli r = Cli.run("run", "--engine", "apex[marginPct=150]", "--requests", RunCommandTest.SMALL, "--quiet", "--out",
                tmp.resolve("out").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("option marginPct: expected a number in [0, 100), got '150'"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
