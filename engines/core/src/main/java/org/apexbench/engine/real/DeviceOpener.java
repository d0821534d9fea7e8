package org.apexbench.engine.real;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;

/**
 * Opens the device backend of a real run or profile: {@link Backends#open} by the backend's name, or a stand-in a test
 * supplies (an emulation of the cuda device on the cpu backend, which brings its own {@link
 * org.apexbench.kernels.HostBridge.Provider bridge}), so that the cuda code paths run end to end without a GPU.
 */
@FunctionalInterface
public interface DeviceOpener {
    /** The device backend, with {@code threads} workers where it is a cpu backend (0: all processors). */
    Backend open(int threads);

    /** The backend named {@code backend} ("cpu" or "cuda"), as {@link Backends#open} opens it. */
    static DeviceOpener named(String backend) {
        return threads -> Backends.open(backend, threads);
    }
}
