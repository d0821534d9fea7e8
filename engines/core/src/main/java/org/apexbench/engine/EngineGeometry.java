package org.apexbench.engine;

/**
 * The model numbers the engine runtime needs: layer count and the bytes that KV blocks, per-row
 * activation copies and weights take. Derived from the profiler's model geometry (or a model config).
 *
 * @param name                     model name, for messages
 * @param layers                   decoder layers
 * @param kvBytesPerTokenPerLayer  K and V of one token in one layer
 * @param qkvBytesPerToken         q, k and v of one row in one layer (copied to the host for CPU rows)
 * @param attnOutBytesPerToken     attention output of one row in one layer (copied back to the GPU)
 * @param weightBytes              all weights resident on the GPU
 * @param maxContext               positions the model accepts (prompt + output)
 */
public record EngineGeometry(String name, int layers, long kvBytesPerTokenPerLayer, long qkvBytesPerToken,
                             long attnOutBytesPerToken, long weightBytes, int maxContext) {
    public EngineGeometry {
        if (layers <= 0 || kvBytesPerTokenPerLayer <= 0 || qkvBytesPerToken <= 0 || attnOutBytesPerToken <= 0
                || weightBytes < 0 || maxContext <= 0) {
            throw new IllegalArgumentException("model " + name + ": layers, byte sizes and maxContext must be > 0");
        }
    }

    /** The numbers of a profiler model geometry. */
    public static EngineGeometry of(org.apexbench.profiler.model.ModelGeometry m) {
        return new EngineGeometry(m.name(), m.layers(), m.kvBytesPerTokenPerLayer(), m.qkvBytesPerToken(),
                m.attnOutBytesPerToken(), m.totalWeightBytes(), m.maxContext());
    }

    /** KV bytes of one token over all layers. */
    public long kvBytesPerToken() { return kvBytesPerTokenPerLayer * layers; }
}
