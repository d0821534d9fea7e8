package org.apexbench.harness;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apexbench.reports.EnvironmentInfo;
import org.apexbench.reports.JsonFiles;

/** environment.json beside the deterministic files of a run or comparison. */
final class Outputs {
    private Outputs() {}

    /** @param device the device backend's description from a real run (null in sim) */
    static void writeEnvironment(Path dir, EngineRunner.Setup s, String device) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("backend", s.backend());
        extra.put("hardware_spec", s.hardware().id());
        extra.put("hardware_description", s.hardware().description());
        boolean sim = s.backend().equals("sim");
        boolean cuda = s.backend().equals("cuda");
        extra.put("gpu", sim ? "simulated " + s.hardware().gpu().name() : cuda ? device
                : "none (cpu backend: a CPU worker plays the device)");
        extra.put("driver", cuda ? "see gpu" : "none");
        if (!sim) extra.put("device_backend", device);
        if (!sim) extra.put("threads_per_backend", s.threads());
        extra.put("command_line", System.getProperty("sun.java.command", ""));
        JsonFiles.write(dir.resolve(JsonFiles.ENVIRONMENT), EnvironmentInfo.capture(ApexCli.root(), extra));
    }
}
