package org.apexbench.engine.real;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;

/**
 * The tiny-llama3 fixture on a cpu device backend, with a second cpu backend for host attention: what the
 * real executor's and the timers' tests run on.
 */
record TinyLlamaOnCpu(Backend device, Backend host, LlamaModel model) implements AutoCloseable {
    /** The test-data model's folder (system property apex.fixtures, set by Surefire); missing fails the test. */
    static Path fixture() {
        String dir = System.getProperty("apex.fixtures");
        if (dir == null || !Files.isDirectory(Path.of(dir, "tiny-llama3"))) {
            throw new IllegalStateException("test-data model tiny-llama3 not found under apex.fixtures=" + dir);
        }
        return Path.of(dir, "tiny-llama3");
    }

    static TinyLlamaOnCpu open() {
        Path dir = fixture();
        Backend device = Backends.open("cpu", 1);
        Backend host = Backends.open("cpu", 1);
        try {
            return new TinyLlamaOnCpu(device, host, new LlamaModel(LlamaWeights.load(dir, device), device));
        } catch (RuntimeException | Error e) {
            host.close();
            device.close();
            throw e;
        }
    }

    @Override
    public void close() {
        model.close();
        host.close();
        device.close();
    }
}
