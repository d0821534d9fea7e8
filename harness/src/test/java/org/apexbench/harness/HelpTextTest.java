package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Picocli formats every help line with String.format: a bare '%' in a description made `apex reproduce --help` print
 * picocli warnings and show raw "%n". Every line of every command's help must format.
 */
class HelpTextTest {
    @Test
    void everyHelpLineFormats() {
        List<String> broken = new ArrayList<>();
        CommandLine root = ApexCli.commandLine();
        List<CommandSpec> specs = new ArrayList<>(List.of(root.getCommandSpec()));
        root.getSubcommands().values().forEach(c -> specs.add(c.getCommandSpec()));
        for (CommandSpec s : specs) {
            List<String> lines = new ArrayList<>(List.of(s.usageMessage().description()));
            s.options().forEach(o -> lines.addAll(List.of(o.description())));
            s.positionalParameters().forEach(p -> lines.addAll(List.of(p.description())));
            for (String line : lines) {
                try {
                    String.format(Locale.ROOT, line.replace("${DEFAULT-VALUE}", "x").replace("${COMPLETION-CANDIDATES}", "x"));
                } catch (IllegalFormatException e) {
                    broken.add(s.name() + ": " + line);
                }
            }
        }
        assertTrue(broken.isEmpty(), "help lines with an unescaped '%' (write %%):\n" + String.join("\n", broken));
    }
}
