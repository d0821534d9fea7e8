package org.apexbench.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Proxy;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Fence;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.RowExchange;
import org.apexbench.kernels.RowTransfer;
import org.junit.jupiter.api.Test;

/** The cpu host bridge: what the real executor's cpu path does through it (plain copies, wall-clock marks). */
class CpuHostBridgeTest {
    private static float at(DeviceBuffer b, long index) { return ((CpuBuffer) b).segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index); }

    private static void fill(DeviceBuffer b, float base) {
        MemorySegment s = ((CpuBuffer) b).segment();
        for (long i = 0; i < s.byteSize() / 4; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, base + i);
    }

    @Test
    void poolsAreHostMemoryAndSwapsCopyKAndV() {
        try (CpuBackend device = new CpuBackend(1); CpuBackend host = new CpuBackend(1);
             HostBridge bridge = HostBridge.open(device, host)) {
            assertFalse(bridge.enqueues());
            assertEquals("cpu", bridge.deviceName());
            KvGeometry g = new KvGeometry(2, 3, 1, 4, DType.F32);
            KvPool hostPool = bridge.allocateHostPool(g);
            assertSame(hostPool, bridge.deviceView(hostPool), "the cpu device addresses host memory directly");
            assertEquals(0f, at(hostPool.keys(), 5));
            KvPool gpu = new KvPool(g, device.allocate(g.bufferBytes()), device.allocate(g.bufferBytes()));
            fill(gpu.keys(), 100);
            fill(gpu.values(), 1000);
            long block = g.blockBytes();
            bridge.copyKv(gpu, block, hostPool, 2 * block, block, true);
            assertSame(Fence.NONE, bridge.fenceCopies());
            long first = block / 4;
            for (long i = 0; i < block / 4; i++) {
                assertEquals(100 + first + i, at(hostPool.keys(), 2 * first + i));
                assertEquals(1000 + first + i, at(hostPool.values(), 2 * first + i));
            }
            assertEquals(0f, at(hostPool.keys(), first), "outside the copied run");
        }
    }

    @Test
    void rowsGoToTheHostAndTheOutputComesBack() {
        int qWidth = 4, kvWidth = 2;
        try (CpuBackend device = new CpuBackend(1); CpuBackend host = new CpuBackend(1);
             HostBridge bridge = HostBridge.open(device, host)) {
            RowExchange x = bridge.rowExchange(6, qWidth, kvWidth);
            DeviceBuffer q = device.allocate(6L * qWidth * 4), k = device.allocate(6L * kvWidth * 4), v = device.allocate(6L * kvWidth * 4);
            DeviceBuffer out = device.allocate(6L * qWidth * 4);
            fill(q, 10);
            fill(k, 20);
            fill(v, 30);
            RowTransfer t = x.sendInputs(q, k, v, 2, 3);
            assertEquals(1, t.sequence());
            x.receiveInputs(t, q, k, v);
            assertEquals(0f, at(x.hostQueries(), 2L * qWidth - 1), "row 1 not sent");
            assertEquals(10 + 2 * qWidth, at(x.hostQueries(), 2L * qWidth));
            assertEquals(20 + 5 * kvWidth - 1, at(x.hostKeys(), 5L * kvWidth - 1));
            assertEquals(30 + 3 * kvWidth, at(x.hostValues(), 3L * kvWidth));
            assertEquals(0f, at(x.hostValues(), 5L * kvWidth), "row 5 not sent");
            fill(x.hostOutput(), 50);
            x.sendOutput(t, out);
            assertEquals(50 + 2 * qWidth, at(out, 2L * qWidth));
            assertEquals(50 + 5 * qWidth - 1, at(out, 5L * qWidth - 1));
            assertEquals(0f, at(out, 5L * qWidth), "row 5 not returned");
            assertEquals(2, x.sendInputs(q, k, v, 0, 1).sequence());
            var tooMany = assertThrows(IllegalArgumentException.class, () -> x.sendInputs(q, k, v, 4, 3));
            assertTrue(tooMany.getMessage().contains("exceed"), tooMany.getMessage());
            assertThrows(UnsupportedOperationException.class, () -> x.awaitOutputOnDevice(t, out));
            Mark a = bridge.mark(Lane.COMPUTE), b = bridge.mark(Lane.COMPUTE);
            assertTrue(bridge.elapsedSeconds(a, b) >= 0);
        }
    }

    private static Backend named(String name) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, args) -> {
            if (m.getName().equals("name")) return name;
            throw new UnsupportedOperationException(m.getName());
        });
    }

    @Test
    void unsupportedPairsAreRefusedNamingThem() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            var host = assertThrows(IllegalArgumentException.class, () -> HostBridge.open(cpu, named("cuda")));
            assertTrue(host.getMessage().contains("host attention runs on the cpu backend, got host backend 'cuda'"), host.getMessage());
            var device = assertThrows(IllegalArgumentException.class, () -> HostBridge.open(named("tpu"), cpu));
            assertTrue(device.getMessage().contains("no host bridge for device backend 'tpu'"), device.getMessage());
        }
    }
}
