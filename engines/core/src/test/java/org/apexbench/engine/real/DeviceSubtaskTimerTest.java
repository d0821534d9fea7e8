package org.apexbench.engine.real;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.KvPool;

import org.apexbench.kernels.DType;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;

/**
 * The bridge-driven timer that cuda profiles use, run here through the cpu host bridge (wall-clock marks):
 * every op is measured on the right pools and buffers (host rows for CPU attention, chunked pool copies), and
 * limits are refused as CpuSubtaskTimer refuses them. On a GPU the same code times with CUDA events.
 */
class DeviceSubtaskTimerTest {
    private static final long COPY = 64L << 20;

    /**
     * Every op is timed, on the memory the claim names (read from instrumented backends): PREFILL and GPU decode
     * attention on the device backend over the device pool; CPU decode attention on the host backend over the host
     * pool (a different pool) from host-allocated rows of the row exchange, never on the device; copies of 64 MiB
     * between the two pools' K and V buffers in the direction of the op, in chunks no larger than one pool buffer
     * (so more than one per tensor), adding up to the bytes asked for.
     */
    @Test
    void timesEverySubtaskOnTheRightPoolsAndBuffers() {
        InstrumentedBackend device = new InstrumentedBackend(Backends.open("cpu", 1), 0);
        InstrumentedBackend host = new InstrumentedBackend(Backends.open("cpu", 1), 0);
        try (LlamaModel model = new LlamaModel(LlamaWeights.load(TinyLlamaOnCpu.fixture(), device), device);
             DeviceSubtaskTimer timer = new DeviceSubtaskTimer(model, host, 64, 8, 512, COPY, DType.F16)) {
            Map<Op, List<InstrumentedBackend.Call>> onDevice = new EnumMap<>(Op.class), onHost = new EnumMap<>(Op.class);
            for (Op op : Op.values()) {
                SubtaskFeatures f = switch (op) {
                    case PRE, POST, EMBED, LM_HEAD -> SubtaskFeatures.linear(8);
                    case PREFILL_ATTN -> SubtaskFeatures.prefill(48);
                    case GPU_DECODE_ATTN, CPU_DECODE_ATTN -> SubtaskFeatures.decode(4, 300);
                    case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> SubtaskFeatures.copy(COPY, 1);
                    case LAUNCH -> SubtaskFeatures.launches(1);
                };
                device.calls.clear();
                host.calls.clear();
                double s = timer.seconds(op, f);
                assertTrue(s > 0 && s < 5, op + " took " + s + " s");
                onDevice.put(op, List.copyOf(device.calls));
                onHost.put(op, List.copyOf(host.calls));
            }
            InstrumentedBackend.Call gpuAttn = only(onDevice.get(Op.GPU_DECODE_ATTN), "decodeAttention");
            KvPool devicePool = gpuAttn.pool();
            assertEquals(300, gpuAttn.size(), "4 rows over 300 context tokens");
            assertTrue(calls(onHost.get(Op.GPU_DECODE_ATTN), "decodeAttention").isEmpty(), "GPU attention does not touch the host");
            assertEquals(devicePool, only(onDevice.get(Op.PREFILL_ATTN), "prefillAttention").pool(), "prefill attends the device pool");

            InstrumentedBackend.Call cpuAttn = only(onHost.get(Op.CPU_DECODE_ATTN), "decodeAttention");
            KvPool hostPool = cpuAttn.pool();
            assertNotSame(devicePool, hostPool, "CPU attention attends the host pool");
            assertEquals(300, cpuAttn.size());
            assertTrue(host.owns(hostPool.keys()) && host.owns(cpuAttn.a()) && host.owns(cpuAttn.b()),
                    "the host pool and the query/output rows CPU attention uses are host memory");
            assertFalse(device.owns(cpuAttn.a()) || device.owns(cpuAttn.b()) || device.owns(hostPool.keys()), "not the device's");
            assertTrue(device.owns(devicePool.keys()) && device.owns(gpuAttn.a()), "GPU attention reads device memory");
            assertEquals(hostPool, only(onHost.get(Op.CPU_DECODE_ATTN), "kvAppend").pool(), "new K/V appended to the host pool");
            assertTrue(calls(onDevice.get(Op.CPU_DECODE_ATTN), "decodeAttention").isEmpty(), "CPU attention never runs on the device");

            long chunk = Math.min(devicePool.keys().bytes(), hostPool.keys().bytes());
            for (Op op : List.of(Op.QKV_D2H, Op.SWAP_OUT, Op.ATTN_OUT_H2D, Op.SWAP_IN)) {
                boolean toHost = op == Op.QKV_D2H || op == Op.SWAP_OUT;
                KvPool from = toHost ? devicePool : hostPool, to = toHost ? hostPool : devicePool;
                List<InstrumentedBackend.Call> copies = calls(onDevice.get(op), "copy");
                long bytes = 0;
                for (InstrumentedBackend.Call c : copies) {
                    boolean keys = c.a() == from.keys() && c.b() == to.keys(), values = c.a() == from.values() && c.b() == to.values();
                    assertTrue(keys || values, op + ": copies go " + (toHost ? "device -> host" : "host -> device") + " pool, K to K and V to V");
                    assertTrue(c.size() <= chunk, op + ": a chunk holds at most one pool buffer (" + chunk + " B), got " + c.size());
                    bytes += c.size();
                }
                assertEquals(COPY, bytes, op + ": the bytes asked for, split over K and V");
                assertTrue(copies.size() > 2, op + ": 64 MiB takes several chunks per tensor, got " + copies.size());
            }
        } finally {
            host.close();
            device.close();
        }
    }

    private static List<InstrumentedBackend.Call> calls(List<InstrumentedBackend.Call> l, String op) {
        return l.stream().filter(c -> c.op().equals(op)).toList();
    }

    private static InstrumentedBackend.Call only(List<InstrumentedBackend.Call> l, String op) {
        List<InstrumentedBackend.Call> c = calls(l, op);
        assertEquals(1, c.size(), op + " calls: " + c);
        return c.get(0);
    }

    @Test
    void featuresBeyondTheTimerLimitsAreRefused() {
        try (TinyLlamaOnCpu m = TinyLlamaOnCpu.open();
             DeviceSubtaskTimer timer = new DeviceSubtaskTimer(m.model(), m.host(), 16, 4, 64, 1024, DType.F16)) {
            var e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.PRE, SubtaskFeatures.linear(17)));
            assertTrue(e.getMessage().contains("17 rows outside 1..16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(5, 10)));
            assertTrue(e.getMessage().contains("outside 1..4 rows"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.SWAP_IN, SubtaskFeatures.copy(2048, 1)));
            assertTrue(e.getMessage().contains("exceeds the timer's 1024"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new DeviceSubtaskTimer(m.model(), m.host(), 4, 8, 64, 1024, DType.F16));
            assertTrue(e.getMessage().contains("maxSequences <= maxTokens"), e.getMessage());
        }
    }
}
