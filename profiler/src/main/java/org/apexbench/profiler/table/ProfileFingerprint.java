package org.apexbench.profiler.table;

import org.apexbench.profiler.model.ModelGeometry;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a profile was measured on. A profile only predicts the setup it was taken on, so loading
 * one for a different fingerprint is refused ({@link Profile#load}).
 *
 * @param hardware   hardware spec id (sim) or a free-form machine label
 * @param gpu        GPU name (or "sim:&lt;spec&gt;", or "cpu" for the cpu backend)
 * @param driver     driver / CUDA version, "n/a" where none
 * @param cpuModel   host CPU model
 * @param threads    CPU attention threads
 * @param model      model geometry
 * @param weightDtype e.g. "f16", "bf16"
 * @param kvDtype    e.g. "f16"
 * @param blockSize  KV block size in tokens
 * @param backend    "cuda", "cpu" or "sim"
 */
public record ProfileFingerprint(String hardware, String gpu, String driver, String cpuModel, int threads,
                                 ModelGeometry model, String weightDtype, String kvDtype, int blockSize, String backend) {
    public ProfileFingerprint {
        Objects.requireNonNull(hardware, "hardware");
        Objects.requireNonNull(gpu, "gpu");
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(cpuModel, "cpuModel");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(weightDtype, "weightDtype");
        Objects.requireNonNull(kvDtype, "kvDtype");
        Objects.requireNonNull(backend, "backend");
    }

    /**
     * The fingerprint of a simulated run: the spec id as hardware, "sim:" + GPU name, the host CPU
     * model and its cores as threads, fp16/bf16 weights and KV named by their byte width.
     */
    public static ProfileFingerprint forSim(org.apexbench.profiler.hardware.HardwareSpec hw, ModelGeometry model, int blockSize) {
        return new ProfileFingerprint(hw.id(), "sim:" + hw.gpu().name(), "n/a", hw.host().cpuModel(), hw.host().cores(), model,
                dtype(model.weightBytesPerElement()), dtype(model.kvBytesPerElement()), blockSize, "sim");
    }

    private static String dtype(int bytes) {
        return switch (bytes) {
            case 1 -> "8-bit";
            case 2 -> "16-bit";
            case 4 -> "f32";
            default -> bytes + "-byte";
        };
    }

    /** One line per differing field: {@code field: 'this' (profile) vs 'other' (expected)}. */
    public List<String> differences(ProfileFingerprint expected) {
        List<String> d = new ArrayList<>();
        diff(d, "hardware", hardware, expected.hardware);
        diff(d, "gpu", gpu, expected.gpu);
        diff(d, "driver", driver, expected.driver);
        diff(d, "cpuModel", cpuModel, expected.cpuModel);
        diff(d, "threads", threads, expected.threads);
        diff(d, "model", model, expected.model);
        diff(d, "weightDtype", weightDtype, expected.weightDtype);
        diff(d, "kvDtype", kvDtype, expected.kvDtype);
        diff(d, "blockSize", blockSize, expected.blockSize);
        diff(d, "backend", backend, expected.backend);
        return d;
    }

    private static void diff(List<String> out, String field, Object mine, Object theirs) {
        if (!Objects.equals(mine, theirs)) {
            out.add(field + ": '" + mine + "' (profile) vs '" + theirs + "' (expected)");
        }
    }
}
