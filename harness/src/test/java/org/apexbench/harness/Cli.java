package org.apexbench.harness;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process capturing out, err and the exit code. */
record Cli(int code, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = ApexCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }
}
