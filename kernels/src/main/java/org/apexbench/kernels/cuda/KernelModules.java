package org.apexbench.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadDataJIT;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.JITOptions;
import org.apexbench.kernels.BackendUnavailableException;

/**
 * The kernel modules packaged in this jar ({@code ptx/<module>.ptx}, optionally {@code <module>.fatbin},
 * listed in {@code ptx/ptx-build.properties} by kernels/src/main/cuda/build-ptx.sh), loaded with
 * cuModuleLoadDataEx and JIT info/error logs captured into any failure message.
 */
final class KernelModules implements AutoCloseable {
    static final String RESOURCE_DIR = "/org/apexbench/kernels/cuda/ptx/";
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(");
    private static final int LOG_BYTES = 16 * 1024;

    private final List<CUmodule> modules = new ArrayList<>();
    private final Map<String, CUmodule> moduleOfEntry = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    final Properties build;

    /** ptx-build.properties of this jar; "nvcc=absent" when it was built without nvcc. */
    static Properties buildInfo() {
        Properties p = new Properties();
        try (InputStream in = KernelModules.class.getResourceAsStream(RESOURCE_DIR + "ptx-build.properties")) {
            if (in == null) return p;
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** The module names this jar holds, or a BackendUnavailableException saying it holds none. */
    static List<String> moduleNames(Properties build) {
        String kernels = build.getProperty("kernels", "").trim();
        if (kernels.isEmpty()) {
            throw new BackendUnavailableException("cuda backend unavailable: this jar has no CUDA kernels (built without nvcc: "
                    + (build.isEmpty() ? "no ptx-build.properties" : "nvcc=" + build.getProperty("nvcc")) + "). Rebuild on a machine "
                    + "with the CUDA toolkit (nvcc on the PATH, or -Dapex.nvcc=/path/to/nvcc): mvn -pl kernels package");
        }
        return List.of(kernels.split(","));
    }

    static byte[] resource(String file) {
        try (InputStream in = KernelModules.class.getResourceAsStream(RESOURCE_DIR + file)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kernel entry names declared in a PTX text. */
    static List<String> entries(String ptx) {
        List<String> names = new ArrayList<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    KernelModules(int driverVersion) {
        build = buildInfo();
        for (String name : moduleNames(build)) {
            byte[] ptx = resource(name + ".ptx");
            if (ptx == null) throw new BackendUnavailableException("cuda backend unavailable: ptx/" + name + ".ptx is listed in "
                    + "ptx-build.properties but missing from the jar");
            byte[] fatbin = resource(name + ".fatbin");
            CUmodule module = load(name, fatbin != null ? fatbin : nulTerminated(ptx), fatbin != null, driverVersion);
            modules.add(module);
            for (String entry : entries(new String(ptx, StandardCharsets.US_ASCII))) moduleOfEntry.put(entry, module);
        }
    }

    private static byte[] nulTerminated(byte[] text) {
        byte[] z = new byte[text.length + 1];
        System.arraycopy(text, 0, z, 0, text.length);
        return z;
    }

    private CUmodule load(String name, byte[] image, boolean fatbin, int driverVersion) {
        CUmodule module = new CUmodule();
        JITOptions jit = new JITOptions();
        jit.putBytes(CUjit_option.CU_JIT_INFO_LOG_BUFFER, new byte[LOG_BYTES]);
        jit.putInt(CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, LOG_BYTES);
        jit.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[LOG_BYTES]);
        jit.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, LOG_BYTES);
        try {
            cuModuleLoadDataJIT(module, Pointer.to(image), jit);
            return module;
        } catch (CudaException e) {
            String logs = " JIT error log: [" + log(jit, CUjit_option.CU_JIT_ERROR_LOG_BUFFER) + "] info log: ["
                    + log(jit, CUjit_option.CU_JIT_INFO_LOG_BUFFER) + "]";
            String what = (fatbin ? "fatbin " : "PTX ") + "module '" + name + "'";
            if (String.valueOf(e.getMessage()).contains("UNSUPPORTED_PTX_VERSION")) {
                throw new BackendUnavailableException(unsupportedPtx(build, driverVersion, what) + logs, e);
            }
            throw new BackendUnavailableException("cuda backend unavailable: loading " + what + " failed: " + e.getMessage() + "."
                    + logs, e);
        }
    }

    /** The CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222) explanation: PTX/nvcc versions vs the driver's, and what to do. */
    static String unsupportedPtx(Properties build, int driverVersion, String what) {
        return "cuda backend unavailable: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222) loading " + what + ": its PTX ISA "
                + build.getProperty("ptx.isa", "?") + " (nvcc " + build.getProperty("nvcc", "?") + ") is newer than the installed "
                + "driver supports (driver CUDA " + CudaDevice.versionString(driverVersion) + "). Update the NVIDIA driver to one "
                + "for CUDA >= the nvcc release, or rebuild the jar with an older PTX ISA (-Dapex.ptx.isa=7.8) or an older nvcc.";
    }

    private static String log(JITOptions jit, int option) {
        try {
            String s = jit.getString(option);
            return s == null ? "" : s.trim();
        } catch (RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** The kernel named {@code entry} (looked up once, then cached). */
    CUfunction function(String entry) {
        return functions.computeIfAbsent(entry, n -> {
            CUmodule m = moduleOfEntry.get(n);
            if (m == null) throw new IllegalStateException("no CUDA kernel named '" + n + "' in " + moduleOfEntry.keySet());
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, m, n);
            return f;
        });
    }

    @Override public void close() {
        for (CUmodule m : modules) cuModuleUnload(m);
        modules.clear();
        functions.clear();
    }
}
