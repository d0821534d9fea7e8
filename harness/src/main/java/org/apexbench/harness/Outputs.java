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
        extra.put("gpu", s.backend().equals("sim") ? "simulated " + s.hardware().gpu().name() : s.hardware().gpu().name());
        extra.put("driver", s.backend().equals("sim") ? "none (simulated)" : "unknown");
        extra.put("command_line", System.getProperty("sun.java.command", ""));
        JsonFiles.write(dir.resolve(JsonFiles.ENVIRONMENT), EnvironmentInfo.capture(ApexCli.root(), extra));
    }
}
