package org.apexbench.engine.real;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.kernels.DType;
import org.apexbench.model.Generator;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * Teacher forcing in the real executor's commit step, on the cpu backend (fp32, exact): the token a forcing
 * commits is what the request continues from, every output position is offered exactly once, and what the model
 * produces at each later position is its argmax on the forced context (oracle: the model's own prefill logits of
 * prompt + committed tokens). This is what lets a check compare every position after a tolerated divergence.
 */
class TokenForcingTest {
    private static final EngineBudgets ROOMY = new EngineBudgets(8, 512, 32, 32, 16);
    private static final Predictor FLAT = Predictor.of((op, f) -> 1e-4);
    private static TinyLlamaOnCpu m;
    private static List<RequestSpec> requests;

    /** What one forced run offered: (request, step) -> the model's token, in offering order. */
    private record Offer(String request, int step, int produced) {}

    @BeforeAll
    static void open() {
        m = TinyLlamaOnCpu.open();
        SplittableRandom rnd = new SplittableRandom(3);
        requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) requests.add(new RequestSpec("r" + i, 0, rnd.ints(12 + 5 * i, 3, 500).toArray(), 10, SamplingParams.GREEDY));
    }

    @AfterAll
    static void close() {
        if (m != null) m.close();
    }

    /** Admits every request whole, r1 into the host pool, and decodes all (host rows attend on the CPU). */
    private static Scheduler everythingAtOnce() {
        return ctx -> {
            List<PrefillChunk> pre = new ArrayList<>();
            for (RequestState r : ctx.waiting()) pre.add(PrefillChunk.of(r, r.remainingTokens(), r.id().equals("r1") ? Location.HOST : Location.GPU));
            List<RequestState> cpu = List.copyOf(ctx.hostRunning());
            return new IterationPlan(pre, ctx.gpuRunning(), cpu, 0, List.of(), List.of(), List.of(),
                    cpu.isEmpty() ? Strategy.GPU_ONLY : Strategy.ASYNC_OVERLAP, Double.NaN);
        };
    }

    private static RealRunResult run(TokenForcing forcing) {
        return RealRun.run(new Engine("scripted", "scripted", TokenForcingTest::everythingAtOnce, 0), m.model(), m.host(), null,
                ROOMY, FLAT, requests, RecordOptions.DEFAULT, DType.F32, forcing);
    }

    /** The model's logits after prompt + {@code outputs}, as one prefill (no batching, no decode path). */
    private static float[] nextLogits(RequestSpec spec, int[] outputs) {
        int[] context = new int[spec.promptLength() + outputs.length];
        for (int i = 0; i < spec.promptLength(); i++) context[i] = spec.promptToken(i);
        System.arraycopy(outputs, 0, context, spec.promptLength(), outputs.length);
        float[][] logits = new Generator(m.model(), Generator.Options.of(DType.F32)).prefillLogits(context);
        return logits[context.length - 1];
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
        return best;
    }

    private static int runnerUp(float[] row) {
        int best = argmax(row), second = best == 0 ? 1 : 0;
        for (int v = 0; v < row.length; v++) if (v != best && row[v] > row[second]) second = v;
        return second;
    }

    @Test
    void aForcedTokenIsWhatTheRequestContinuesFromAndEveryLaterPositionIsStillProduced() {
        int[] free = run(TokenForcing.NONE).tokens().get("r1");
        int step = 4;
        float[] before = nextLogits(requests.get(1), java.util.Arrays.copyOf(free, step));
        assertEquals(free[step], argmax(before), "the unforced run is the model's greedy output");
        int plausible = runnerUp(before);  // wrong, but the model's own second choice

        List<Offer> offers = new ArrayList<>();
        RealRunResult forced = run((request, s, produced) -> {
            offers.add(new Offer(request, s, produced));
            return request.equals("r1") && s == step ? plausible : produced;
        });

        Map<String, List<Offer>> byRequest = new HashMap<>();
        for (Offer o : offers) byRequest.computeIfAbsent(o.request(), k -> new ArrayList<>()).add(o);
        for (RequestSpec spec : requests) {
            List<Offer> seen = byRequest.get(spec.id());
            int[] committed = forced.tokens().get(spec.id());
            assertEquals(spec.outputTokens(), committed.length, spec.id());
            assertEquals(spec.outputTokens(), seen.size(), spec.id() + ": every output position is offered once");
            for (int s = 0; s < seen.size(); s++) {
                Offer o = seen.get(s);
                assertEquals(s, o.step(), spec.id() + ": positions in order");
                boolean isForced = spec.id().equals("r1") && s == step;
                assertEquals(isForced ? plausible : o.produced(), committed[s], spec.id() + " step " + s + ": committed token");
                // what the model produced here is its argmax on the committed (forced) context
                int want = argmax(nextLogits(spec, java.util.Arrays.copyOf(committed, s)));
                assertEquals(want, o.produced(), spec.id() + " step " + s + ": produced on the committed context");
            }
        }
        int[] r1 = forced.tokens().get("r1");
        assertArrayEquals(java.util.Arrays.copyOf(free, step), java.util.Arrays.copyOf(r1, step), "r1 before the forced step");
        assertEquals(free[step], byRequest.get("r1").get(step).produced(), "the model's own token at the forced step is recorded");
        assertNotEquals(free[step], r1[step]);
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(free, step + 1, free.length),
                java.util.Arrays.copyOfRange(r1, step + 1, r1.length)),
                "the forced token changed what followed: the later positions ran on the forced context");
        assertArrayEquals(run(TokenForcing.NONE).tokens().get("r0"), forced.tokens().get("r0"), "other requests are untouched");
    }
}
