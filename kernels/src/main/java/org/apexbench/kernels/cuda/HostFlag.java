package org.apexbench.kernels.cuda;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import jcuda.driver.CUdeviceptr;

/**
 * A 32-bit counter in mapped pinned memory through which the host and the GPU streams signal each
 * other without blocking the launching thread:
 * <ul>
 *   <li>host -> GPU: the device thread enqueues {@link CudaBackend#waitFor(StreamRole, HostFlag, int)}
 *       (cuStreamWaitValue32, "wait until flag >= n") and goes on enqueueing; the host-attention thread
 *       writes its output into pinned memory and then calls {@link #signal(int)}; the stream proceeds.
 *       Unlike an event, a value the host has not written yet really does hold the stream.</li>
 *   <li>GPU -> host: {@link CudaBackend#signalFrom(StreamRole, HostFlag, int)} (cuStreamWriteValue32) marks
 *       that q/k/v have landed in pinned memory; the host polls {@link #value()}.</li>
 * </ul>
 * Use increasing values (one per layer/iteration) so the flag never needs resetting. A wait whose
 * value the host never signals hangs the stream: the engine must signal every value it waits for.
 */
public final class HostFlag implements AutoCloseable {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private final PinnedHostBuffer memory;
    final CUdeviceptr device;

    HostFlag(PinnedHostBuffer memory) {
        this.memory = memory;
        this.device = memory.devicePointer();
        INT.setVolatile(memory.segment(), 0L, 0);
    }

    /** Publishes {@code value} to waiting streams; everything the host wrote before is visible to them. */
    public void signal(int value) { INT.setVolatile(memory.segment(), 0L, value); }

    /** The current value (written by the host or by a stream). */
    public int value() { return (int) INT.getVolatile(memory.segment(), 0L); }

    @Override public void close() { memory.close(); }
}
