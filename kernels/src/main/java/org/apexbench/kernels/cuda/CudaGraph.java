package org.apexbench.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;

/**
 * A captured sequence of backend ops ({@link CudaBackend#capture(Runnable)}), replayed on the compute
 * stream with one launch. Replays repeat the captured work exactly: the kernel arguments and the
 * metadata (token ids, positions, block tables) uploaded during capture are frozen into the graph,
 * whose staging memory lives as long as the graph. To advance a decode step without re-capturing,
 * keep the changing values in device buffers that the host rewrites between replays.
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaBackend backend;
    final CUgraph graph;
    final CUgraphExec exec;
    private final StagingArena staging;
    private boolean closed;

    CudaGraph(CudaBackend backend, CUgraph graph, CUgraphExec exec, StagingArena staging) {
        this.backend = backend;
        this.graph = graph;
        this.exec = exec;
        this.staging = staging;
    }

    /** Enqueues the whole captured sequence on the compute stream (asynchronous). */
    public void replay() {
        if (closed) throw new IllegalStateException("cuda graph already closed");
        backend.launchGraph(this);
    }

    @Override public void close() {
        if (!closed) {
            closed = true;
            backend.synchronize();
            cuGraphExecDestroy(exec);
            cuGraphDestroy(graph);
            staging.close();
        }
    }
}
