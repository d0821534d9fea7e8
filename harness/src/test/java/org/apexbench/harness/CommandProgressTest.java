package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apexbench.engine.runtime.EngineLoop;
import org.junit.jupiter.api.Test;

/** Issue 11: the ETA covered only the current pass, and "in 19.1 s wall" was printed for a 57.7 s run. */
class CommandProgressTest {
    @Test
    void oneEtaForEveryPassOfEveryEngine() {
        StringWriter buf = new StringWriter();
        long[] now = {0};
        CommandProgress p = new CommandProgress(new PrintWriter(buf, true), "compare", CommandProgress.units(2, 100, 2), () -> now[0]);
        EngineLoop.Progress pass1 = p.pass("gpu-only pass 1 of 2", 100);
        now[0] = 2_000_000_000L;
        pass1.update(50, 100);
        // 50 of 400 request-passes in 2 s: the remaining 350 (this pass, the next, and the other engine's two) take 14 s
        assertTrue(buf.toString().endsWith("compare [gpu-only pass 1 of 2]: 50/400 request-passes (13%), 25.00 request-passes/s, ETA 14 s\r"),
                buf.toString());
        pass1.update(100, 100);
        EngineLoop.Progress pass2 = p.pass("gpu-only pass 2 of 2", 100);
        now[0] = 8_000_000_000L;
        pass2.update(100, 100);
        assertTrue(buf.toString().endsWith("[gpu-only pass 2 of 2]: 200/400 request-passes (50%), 25.00 request-passes/s, ETA 8 s\r"),
                buf.toString());
        p.println("gpu-only: done");
        assertTrue(buf.toString().endsWith(" ".repeat(86) + "\rgpu-only: done" + System.lineSeparator()), "progress line wiped first");
        p.replan(-200);   // the second engine failed before it started
        now[0] = 9_000_000_000L;
        p.finish("1 engine");
        assertTrue(buf.toString().endsWith("compare: 1 engine in 9.0 s wall" + System.lineSeparator()), buf.toString());
    }

    /** The command's wall time holds every engine's, and each engine's covers both its passes. */
    @Test
    void wallTimesAreEndToEnd(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        Cli r = Cli.run("compare", "--engines", "gpu-only,apex", "--requests", "long-output:count=40,rate=1", "--out",
                tmp.resolve("cmp").toString());
        assertEquals(0, r.code(), r.err());
        List<Double> engines = numbers(r.err(), "\\(simulated\\) in ([0-9.]+) s wall \\(both passes\\)");
        List<Double> command = numbers(r.err(), "compare: 2 engines, results written in ([0-9.]+) s wall");
        assertEquals(2, engines.size(), r.err());
        assertEquals(1, command.size(), r.err());
        assertTrue(command.getFirst() >= engines.get(0) + engines.get(1) - 0.1, r.err());
    }

    private static List<Double> numbers(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        List<Double> out = new java.util.ArrayList<>();
        while (m.find()) out.add(Double.parseDouble(m.group(1)));
        return out;
    }
}
