package org.apexbench.harness;

import org.apexbench.engine.real.DeviceOpener;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DeviceMemory;

/**
 * Where a command's real device backend comes from: {@link Backends} by its {@code --backend} name, except inside a
 * scope a test binds {@link #EMULATED} in, where that backend is a stand-in (the cuda device emulated on the cpu
 * backend, with an enqueueing bridge of its own), so that a whole command, `apex validate --backend cuda`, runs its
 * cuda code path on a machine without a GPU. Nothing in the product binds it: the CLI's cuda is always the driver's,
 * refused where none can run.
 */
final class RealDevices {
    private RealDevices() { }

    /**
     * A stand-in for backend {@code backend}: how its device opens, and the memory it reports (what a real run's pools
     * are checked against before anything loads).
     */
    record Emulation(String backend, DeviceOpener opener, DeviceMemory memory) { }

    /** The stand-in of a test's scope; unbound everywhere else. */
    static final ScopedValue<Emulation> EMULATED = ScopedValue.newInstance();

    /** Opens {@code backend}'s device: the scope's stand-in where it emulates that backend, else by name. */
    static DeviceOpener opener(String backend) {
        Emulation e = emulation(backend);
        return e != null ? e.opener() : DeviceOpener.named(backend);
    }

    /** The memory of {@code backend}'s device: the scope's stand-in's where it emulates that backend, else the driver's. */
    static DeviceMemory memory(String backend) {
        Emulation e = emulation(backend);
        return e != null ? e.memory() : Backends.deviceMemory(backend);
    }

    private static Emulation emulation(String backend) {
        Emulation e = EMULATED.isBound() ? EMULATED.get() : null;
        return e != null && e.backend().equals(backend) ? e : null;
    }
}
