package org.apexbench.kernels.cuda;

import jcuda.driver.CUevent;

/**
 * A recorded event: the only way to obtain one is {@link CudaBackend#record(StreamRole)}, so a stream
 * can never be told to wait on an event that was not recorded yet. (cuStreamWaitEvent on a
 * never-recorded event returns at once without waiting: a cross-thread "wait for the host" built on
 * it would silently race. Host-produced data is therefore waited for through {@link HostFlag}.)
 * Give it back with {@link CudaBackend#release(CudaEvent)}.
 */
public final class CudaEvent {
    final CUevent event;
    final boolean timing;
    boolean released;

    CudaEvent(CUevent event, boolean timing) {
        this.event = event;
        this.timing = timing;
    }
}
