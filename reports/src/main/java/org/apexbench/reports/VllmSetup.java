package org.apexbench.reports;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The setup keys vLLM's benchmark writes at the top of its result file, with their meaning for us. vLLM's
 * {@code date} is not here: it varies between identical runs, so it goes only to vllm-result.json (see
 * {@link VllmResultFile}), never to the deterministic summary.json.
 *
 * @param backend        what vLLM's {@code --backend} names, the serving system under test: our engine
 *                       ({@code gpu-only}, {@code static-hybrid:neo}, {@code apex}); not our executor
 *                       ({@code run_spec.backend}: sim, cpu or cuda)
 * @param modelId        the model preset or checkpoint the run used
 * @param numPrompts     requests in the workload
 * @param requestRate    the configured arrival rate in req/s; +infinity when every request is ready at t = 0
 *                       (all at once, closed loop), NaN when the arrivals are a trace's or file's own timestamps
 * @param burstiness     vLLM's gamma shape: 1 for Poisson and for arrivals without a rate (vLLM's default),
 *                       1/cv^2 for Gamma, +infinity for uniform spacing, NaN for own timestamps
 * @param maxConcurrency the closed loop's concurrency (vLLM's client-side cap), null for open loop
 */
public record VllmSetup(String backend, String modelId, int numPrompts, double requestRate, double burstiness,
                        Integer maxConcurrency) {

    /** The top-level keys, in vLLM's order; infinities as vLLM writes a rate of inf ("inf"), NaN as null. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("endpoint_type", backend);
        m.put("backend", backend);
        m.put("model_id", modelId);
        m.put("tokenizer_id", modelId);
        m.put("num_prompts", numPrompts);
        m.put("request_rate", value(requestRate));
        m.put("burstiness", value(burstiness));
        m.put("max_concurrency", maxConcurrency);
        return m;
    }

    /** Reads the keys back from a summary.json document; keys it lacks (older summaries) read as unknown. */
    static VllmSetup fromSummary(Map<String, Object> doc, int numPrompts) {
        return new VllmSetup(doc.get("backend") instanceof String s ? s : null,
                doc.get("model_id") instanceof String s ? s : null,
                doc.get("num_prompts") instanceof Number n ? n.intValue() : numPrompts,
                read(doc.get("request_rate")), read(doc.get("burstiness")),
                doc.get("max_concurrency") instanceof Number n ? n.intValue() : null);
    }

    private static Object value(double v) {
        if (Double.isNaN(v)) return null;
        return v == Double.POSITIVE_INFINITY ? "inf" : (Object) v;
    }

    private static double read(Object v) {
        if (v instanceof Number n) return n.doubleValue();
        return "inf".equals(v) ? Double.POSITIVE_INFINITY : Double.NaN;
    }
}
