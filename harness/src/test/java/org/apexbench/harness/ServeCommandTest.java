package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apex serve} as a process: it prints where it listens, serves, and on Ctrl-C (SIGINT) stops accepting, lets
 * the request in flight finish within the grace period and exits. Bad options are one-line errors.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServeCommandTest {
    static final Path MODEL = Path.of(System.getProperty("apex.fixtures")).resolve("tiny-llama3");
    @TempDir Path tmp;

    @Test
    void servesUntilInterruptedAndLetsTheRequestInFlightFinish() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), ApexCli.class.getName(), "serve",
                "--model", MODEL.toString(), "--served-model-name", "tiny", "--port", "0", "--gpu-kv-blocks", "70",
                "--host-kv-blocks", "16", "--threads", "1", "--shutdown-grace", "30")
                .redirectError(tmp.resolve("child.err").toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            Matcher m = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+) ").matcher(line == null ? "" : line);
            assertTrue(m.find(), "the server says where it listens: " + line + " " + Files.readString(tmp.resolve("child.err")));
            URI url = URI.create(m.group(1) + "/v1/completions");
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String body = "{\"model\":\"tiny\",\"prompt\":[604,514,20],\"max_tokens\":1000,\"temperature\":0,\"ignore_eos\":true,"
                    + "\"stream\":true}";
            CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> inFlight = client.sendAsync(
                    HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofLines());
            var lines = inFlight.get(60, TimeUnit.SECONDS).body().iterator();
            assertTrue(lines.hasNext() && lines.next().startsWith("data: "), "the first token came");
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            int chunks = 1;
            String last = null;
            while (lines.hasNext()) {
                String l = lines.next();
                if (l.startsWith("data: ")) {
                    chunks++;
                    last = l;
                }
            }
            assertEquals("data: [DONE]", last, "the request in flight finished within the grace period");
            assertEquals(1001, chunks, "all its 1000 tokens and [DONE]");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server exits");
            assertEquals(130, p.exitValue(), "as an interrupted process");
            String err = Files.readString(tmp.resolve("child.err"));
            assertTrue(err.contains("apex serve: shutting down") && err.contains("apex serve: stopped"), err);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void badOptionsAreOneLineErrors() {
        Cli sim = Cli.run("serve", "--backend", "sim", "--model", "tiny-llama3", "--gpu-kv-blocks", "8", "--host-kv-blocks", "8");
        assertEquals(1, sim.code());
        assertTrue(sim.err().contains("apex serve runs the real model, on cpu or cuda"), sim.err());
        Cli openai = Cli.run("serve", "--engine", "openai[url=http://x:1]", "--model", "tiny-llama3", "--gpu-kv-blocks", "8",
                "--host-kv-blocks", "8");
        assertEquals(1, openai.code());
        assertTrue(openai.err().contains("is a client"), openai.err());
        Cli port = Cli.run("serve", "--model", "tiny-llama3", "--gpu-kv-blocks", "8", "--host-kv-blocks", "8", "--port", "70000");
        assertEquals(1, port.code());
        assertTrue(port.err().contains("--port must be in 0..65535"), port.err());
    }
}
