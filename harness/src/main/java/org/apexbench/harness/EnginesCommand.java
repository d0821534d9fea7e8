package org.apexbench.harness;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runs.EngineRuns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code apex engines}: every engine on the class path with the options it accepts (too long for each command's --help). */
@Command(name = "engines", mixinStandardHelpOptions = true,
        description = {"List the engines and their options: type, default, accepted values and what each does.",
                "Give options as --engine-option KEY=VALUE (every engine of the run) or ENGINE[KEY=VALUE,...] (one engine)."})
final class EnginesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (String id : EngineRuns.ids()) {
            out.println(id + ": " + EngineRuns.create(id, EngineOptions.NONE).description());
            List<EngineOption> options = EngineRuns.options(id);
            if (options.isEmpty()) out.println("  (no options)");
            for (EngineOption o : options) out.println("  " + o.describe());
        }
        out.println(org.apexbench.serving.client.OpenAiEngine.ID + ": a running OpenAI-compatible server, benchmarked as "
                + "vLLM's bench serve does (docs/serving.md)");
        out.println("  options: " + String.join(", ", org.apexbench.serving.client.OpenAiEngine.Options.KEYS)
                + " (url required; see docs/serving.md)");
        out.flush();
        return 0;
    }
}
