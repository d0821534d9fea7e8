package org.apexbench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Typed engine options read through their declarations: each type's default, its accepted spellings, bounds met
 * exactly and missed by the least step, and the error a user sees for a bad value (naming the option, what it
 * accepts and what was given).
 */
class EngineOptionsTest {
    final EngineOption flag = EngineOption.flag("recalibrate", true, "refit the predictor");
    final EngineOption window = EngineOption.integer("window", 4, 1, 8, "iterations per fit");
    final EngineOption count = EngineOption.integer("starvation", 100, 1, Integer.MAX_VALUE, "iterations a host request waits");
    final EngineOption share = EngineOption.number("share", 0.5, 0, false, 1, true, "a share of the pool");
    final EngineOption belowOne = EngineOption.number("damping", 0, 0, true, 1, false, "damping");
    final EngineOption slo = EngineOption.number("tpotSlo", Double.NaN, 0, false, Double.POSITIVE_INFINITY, true, "TPOT slo in ms");
    final EngineOption halves = EngineOption.number("factor", 1, 0.5, true, 2.5, false, "a factor");
    final EngineOption mode = EngineOption.choice("preemption", "recompute", List.of("swap", "recompute"), "how to preempt");

    static String error(Runnable r) { return assertThrows(IllegalArgumentException.class, r::run).getMessage(); }

    @Test
    void flagsReadTheirDefaultAndEverySpellingAndRefuseOthers() {
        assertTrue(EngineOptions.NONE.flag(flag));
        assertFalse(EngineOptions.NONE.flag(EngineOption.flag("x", false, "h")));
        for (String yes : List.of("true", "yes", "on", "1")) assertTrue(EngineOptions.of("recalibrate", yes).flag(flag), yes);
        for (String no : List.of("false", "no", "off", "0")) assertFalse(EngineOptions.of("recalibrate", no).flag(flag), no);
        assertEquals("option recalibrate: expected true/false, got 'maybe'", error(() -> EngineOptions.of("recalibrate", "maybe").flag(flag)));
        assertEquals("true|false", flag.accepted());
    }

    @Test
    void integersAreReadWithinTheirInclusiveBounds() {
        assertEquals(4, EngineOptions.NONE.integer(window));
        assertEquals(1, EngineOptions.of("window", "1").integer(window));
        assertEquals(8, EngineOptions.of("window", "8").integer(window));
        assertEquals("option window: expected an integer in [1, 8], got '0'", error(() -> EngineOptions.of("window", "0").integer(window)));
        assertEquals("option window: expected an integer in [1, 8], got '9'", error(() -> EngineOptions.of("window", "9").integer(window)));
        assertEquals("option window: expected an integer, got '2.5'", error(() -> EngineOptions.of("window", "2.5").integer(window)));
        assertEquals("an integer >= 1", count.accepted(), "no upper bound worth naming");
        assertEquals(Integer.MAX_VALUE, EngineOptions.of("starvation", String.valueOf(Integer.MAX_VALUE)).integer(count));
    }

    @Test
    void numbersHonourOpenAndClosedBoundsAndAnAbsentDefault() {
        assertEquals(0.5, EngineOptions.NONE.number(share));
        assertEquals(1.0, EngineOptions.of("share", "1").number(share), "1 is included");
        assertEquals(1e-9, EngineOptions.of("share", "1e-9").number(share));
        assertEquals("option share: expected a number in (0, 1], got '0'", error(() -> EngineOptions.of("share", "0").number(share)));
        assertEquals("option share: expected a number in (0, 1], got '1.0001'", error(() -> EngineOptions.of("share", "1.0001").number(share)));
        assertEquals("option share: expected a number, got 'half'", error(() -> EngineOptions.of("share", "half").number(share)));
        assertEquals(0.0, EngineOptions.of("damping", "0").number(belowOne), "0 is included");
        assertEquals("option damping: expected a number in [0, 1), got '1'", error(() -> EngineOptions.of("damping", "1").number(belowOne)));
        assertEquals("a number in [0.5, 2.5)", halves.accepted());
        assertEquals(0.5, EngineOptions.of("factor", "0.5").number(halves));
        assertTrue(Double.isNaN(EngineOptions.NONE.number(slo)), "no default: the option is off");
        assertEquals(1e9, EngineOptions.of("tpotSlo", "1e9").number(slo));
        assertEquals("a number > 0", slo.accepted());
        assertEquals("a number >= 0", EngineOption.number("n", 1, 0, true, Double.POSITIVE_INFINITY, true, "h").accepted());
    }

    @Test
    void choicesAreOneOfTheirValuesAndTheirDefaultMustBeOne() {
        assertEquals("recompute", EngineOptions.NONE.choice(mode));
        assertEquals("swap", EngineOptions.of("preemption", "swap").choice(mode));
        assertEquals("option preemption: expected one of [recompute, swap], got 'drop'", error(() -> EngineOptions.of("preemption", "drop").choice(mode)));
        assertEquals("swap|recompute", mode.accepted());
        assertEquals("option p: default 'drop' is not one of [swap, recompute]",
                error(() -> EngineOption.choice("p", "drop", List.of("swap", "recompute"), "h")));
    }

    @Test
    void declarationsDescribeThemselvesAndAreReadOnlyAsTheirType() {
        assertEquals("window=an integer in [1, 8] (default 4): iterations per fit", window.describe());
        assertEquals("tpotSlo=a number > 0 (default none): TPOT slo in ms", slo.describe());
        assertEquals("option window is a INTEGER, read as a NUMBER",
                assertThrows(IllegalStateException.class, () -> EngineOptions.NONE.number(window)).getMessage());
        assertThrows(IllegalStateException.class, () -> EngineOptions.NONE.integer(share));
        assertThrows(IllegalStateException.class, () -> EngineOptions.NONE.flag(mode));
        assertThrows(IllegalStateException.class, () -> EngineOptions.NONE.choice(flag));
        assertEquals("an engine option needs a key", error(() -> EngineOption.flag(" ", true, "h")));
        assertEquals("an engine option needs a key", error(() -> EngineOption.flag(null, true, "h")));
    }

    @Test
    void optionsComeInPairsAndUnknownKeysAreNamedWithTheKnownOnes() {
        assertEquals(java.util.Map.of("a", "1", "b", "2"), EngineOptions.of("a", "1", "b", "2").values());
        assertEquals("options come in key, value pairs", error(() -> EngineOptions.of("a", "1", "b")));
        EngineOptions.of("window", "2").requireKnown("apex", List.of(window, flag));
        assertEquals("engine apex: unknown option(s) [sharee, windw]; known: [recalibrate, window]",
                error(() -> EngineOptions.of("windw", "2", "sharee", "1", "window", "3").requireKnown("apex", List.of(window, flag))));
    }
}
