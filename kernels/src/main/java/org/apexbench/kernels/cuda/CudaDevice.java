package org.apexbench.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import java.nio.charset.StandardCharsets;
import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;
import org.apexbench.kernels.BackendUnavailableException;

/**
 * One CUDA device and its retained primary context (shared with any other driver-API user in this
 * process, e.g. a profiler). Threading: the context is made current lazily on every thread that
 * enters the backend ({@link #makeCurrent()}, one cuCtxSetCurrent per thread), so callers need not care
 * which thread they are on; the backend's own state is still single-owner (the engine's device thread).
 */
final class CudaDevice implements AutoCloseable {
    /** Why the driver could not be loaded, remembered: JCudaDriver's class init fails only once. */
    private static volatile String driverLoadFailure;

    final int ordinal;
    final CUdevice device = new CUdevice();
    final CUcontext context = new CUcontext();
    final String name;
    final int driverVersion;
    final int ccMajor;
    final int ccMinor;
    final int multiprocessors;
    final long totalMemory;
    final int memoryClockKhz;
    final int busWidthBits;
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private boolean closed;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        int[] count = {0};
        try {
            cuInit(0);
            cuDeviceGetCount(count);
        } catch (CudaException e) {
            throw new BackendUnavailableException("cuda backend unavailable: the CUDA driver failed to initialise ("
                    + e.getMessage() + "). CUDA_ERROR_NO_DEVICE means no usable NVIDIA GPU is visible "
                    + "(check nvidia-smi and CUDA_VISIBLE_DEVICES); use --backend cpu or sim instead.", e);
        }
        if (count[0] == 0) {
            throw new BackendUnavailableException("cuda backend unavailable: the driver sees no CUDA device "
                    + "(check nvidia-smi and CUDA_VISIBLE_DEVICES); use --backend cpu or sim instead.");
        }
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new BackendUnavailableException("cuda backend unavailable: device " + ordinal + " requested, but only "
                    + count[0] + " device(s) present (0.." + (count[0] - 1) + ")");
        }
        int[] v = {0};
        cuDriverGetVersion(v);
        driverVersion = v[0];
        cuDeviceGet(device, ordinal);
        byte[] nameBytes = new byte[256];
        cuDeviceGetName(nameBytes, nameBytes.length, device);
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) len++;
        name = new String(nameBytes, 0, len, StandardCharsets.US_ASCII);
        ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        memoryClockKhz = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
        busWidthBits = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
        long[] mem = {0};
        cuDeviceTotalMem(mem, device);
        totalMemory = mem[0];
        if (ccMajor < 7 || (ccMajor == 7 && ccMinor < 5)) {
            throw new BackendUnavailableException("cuda backend unavailable: " + name + " is sm_" + ccMajor + ccMinor
                    + "; the kernels are built for compute_75 (Turing) or newer");
        }
        cuDevicePrimaryCtxRetain(context, device);
        makeCurrent();
    }

    /**
     * Probes the driver and opens device {@code ordinal}. Every way this can fail here ends in a
     * {@link BackendUnavailableException} that names the cause.
     */
    static CudaDevice open(int ordinal) {
        loadDriver();
        return new CudaDevice(ordinal);
    }

    /** Loads JCuda's native library (which links libcuda.so.1) and turns on JCuda exceptions. */
    static void loadDriver() {
        if (driverLoadFailure != null) throw new BackendUnavailableException(driverLoadFailure);
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (LinkageError e) {  // UnsatisfiedLinkError, or NoClassDefFoundError after a failed class init
            // After a failed class init the JVM throws NoClassDefFoundError whose cause chain keeps the original
            // UnsatisfiedLinkError (JDK 17+), so look at every message in the chain.
            StringBuilder chain = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) chain.append(t.getMessage()).append('\n');
            String detail = chain.toString();
            String why = detail.contains("libcuda.so") ? "the NVIDIA driver library libcuda.so.1 is not installed or not on the loader path"
                    : "JCuda's native library could not be loaded (" + firstLine(detail) + ")";
            driverLoadFailure = "cuda backend unavailable: no CUDA driver: " + why
                    + ". Install the NVIDIA driver (R525 or newer, CUDA 12) on a machine with an NVIDIA GPU, or use --backend cpu or sim.";
            throw new BackendUnavailableException(driverLoadFailure, e);
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private int attribute(int attr) {
        int[] v = {0};
        cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    /** Makes the primary context current on the calling thread (once per thread). */
    void makeCurrent() {
        if (!current.get()) {
            cuCtxSetCurrent(context);
            current.set(Boolean.TRUE);
        }
    }

    /** "12.8" from 12080. */
    static String versionString(int v) { return (v / 1000) + "." + (v % 1000) / 10; }

    /** Peak DRAM bandwidth from clock and bus width (DDR: 2 transfers per clock), bytes/s. */
    double peakBandwidth() { return 2.0 * memoryClockKhz * 1e3 * busWidthBits / 8.0; }

    String describe() {
        return String.format("%s (sm_%d%d, %d SMs, %.1f GiB), driver CUDA %s", name, ccMajor, ccMinor, multiprocessors,
                totalMemory / (double) (1L << 30), versionString(driverVersion));
    }

    @Override public void close() {
        if (!closed) {
            closed = true;
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
