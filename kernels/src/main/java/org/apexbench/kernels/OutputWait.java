package org.apexbench.kernels;

/**
 * Device-time marks of one host-attention output's return ({@link RowExchange#awaitOutputOnDevice}).
 *
 * @param copyStart  H2D lane: the host's output became ready and the copy started
 * @param copyEnd    H2D lane: the output is in device memory
 * @param stallStart compute lane: compute reached the wait
 * @param stallEnd   compute lane: compute went on (stallEnd - stallStart is the GPU's stall for host attention)
 */
public record OutputWait(Mark copyStart, Mark copyEnd, Mark stallStart, Mark stallEnd) {}
