package org.apexbench.kernels;

/**
 * One layer's exchange of batch rows {@code first .. first+rows-1} with host attention, from
 * {@link RowExchange#sendInputs} (device thread) through {@link RowExchange#receiveInputs} and
 * {@link RowExchange#sendOutput} (host thread) to {@link RowExchange#awaitOutputOnDevice} (device thread).
 * The marks are null where the backend copies synchronously on the host thread (cpu): the copy spans are
 * then wall-clock spans on the host thread.
 *
 * @param sequence   1, 2, ... per exchange: the value the host signals when the output is ready
 * @param inputStart device time the q/k/v copy started (D2H lane), or null
 * @param inputEnd   device time the q/k/v copy ended; what the host thread waits for; or null
 */
public record RowTransfer(int first, int rows, int sequence, Mark inputStart, Mark inputEnd) {
    public RowTransfer {
        if (first < 0 || rows < 1) throw new IllegalArgumentException("row transfer: first " + first + ", rows " + rows);
    }
}
