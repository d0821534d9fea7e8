package org.apexbench.harness;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apexbench.reports.EnvironmentInfo;
import org.apexbench.reports.JsonFiles;

/** environment.json beside the deterministic files of a run or comparison. */
final class Outputs {
    private Outputs() {}

    static void writeEnvironment(Path dir, EngineRunner.Setup s) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("backend", s.backend());
        extra.put("hardware_spec", s.hardware().id());
        extra.put("hardware_description", s.hardware().description());
        boolean sim = s.backend().equals("sim");
        extra.put("gpu", sim ? "simulated " + s.hardware().gpu().name() : "none (cpu backend: a CPU worker plays the device)");
        extra.put("driver", "none");
        if (!sim) extra.put("threads_per_backend", s.threads());
        extra.put("command_line", System.getProperty("sun.java.command", ""));
        JsonFiles.write(dir.resolve(JsonFiles.ENVIRONMENT), EnvironmentInfo.capture(ApexCli.root(), extra));
    }
}
