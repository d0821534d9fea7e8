package org.apexbench.kernels;

/**
 * One sub-batch's rows exchanged with host attention every layer (docs/architecture.md#real-executor). Host-side buffers are
 * host-backend activations (fp32), {@code [maxRows][width]}, row r = batch row r, so host kernels slice
 * them as they slice the batch. The device thread calls {@link #sendInputs} and (when the bridge
 * {@link HostBridge#enqueues() enqueues}) {@link #awaitOutputOnDevice}; the host thread calls
 * {@link #receiveInputs} and {@link #sendOutput}, for each transfer in the order it was sent.
 */
public interface RowExchange {
    DeviceBuffer hostQueries();

    DeviceBuffer hostKeys();

    DeviceBuffer hostValues();

    DeviceBuffer hostOutput();

    /** Device thread, after the layer's q/k/v exist: rows {@code first..first+rows-1} of q, k, v start moving to the host. */
    RowTransfer sendInputs(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, int first, int rows);

    /** Host thread: waits for {@code t}'s q/k/v (cuda: its D2H event, not the whole device) and fills the host rows. */
    void receiveInputs(RowTransfer t, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v);

    /**
     * Host thread: {@link #hostOutput()}'s rows of {@code t} go to {@code out} (device activations). cpu: copied
     * now; cuda: converted into pinned staging and signalled, the copy itself is enqueued by the device thread.
     */
    void sendOutput(RowTransfer t, DeviceBuffer out);

    /**
     * Device thread, only when the bridge enqueues: compute enqueued after this call waits (on the device)
     * until {@code t}'s output has landed in {@code out}; the calling thread does not block.
     */
    OutputWait awaitOutputOnDevice(RowTransfer t, DeviceBuffer out);

    /** Host thread, after a failure: releases every device wait on this exchange (outputs are then garbage). */
    void abort();
}
