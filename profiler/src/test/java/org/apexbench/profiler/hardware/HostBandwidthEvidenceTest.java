package org.apexbench.profiler.hardware;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Holds the host bandwidth rule ({@link HardwareSpec.Host#attentionBandwidthBytesPerSec()}) to read-only multi-core
 * measurements of the CPUs the built-in hosts use or their closest measured relatives. The figures are likwid-bench
 * {@code load} (AVX/AVX-512 read-only streams, DRAM-sized arrays, GB/s) from RRZE-HPC/kerncraft's machine files
 * ({@code examples/machine-files/}, repository commit 5d1cc67; docs/decisions.md, "seventh pass"). The rule is the test's
 * subject; the published NEO curves are not used here.
 */
class HostBandwidthEvidenceTest {
    private static double gbps(String id) {
        return HardwareSpecs.builtIn(id).host().attentionBandwidthBytesPerSec() / 1e9;
    }

    /**
     * g4dn.4xlarge: 8 cores (16 vCPUs) of a 24-core Xeon Platinum 8259CL (Cascade Lake, one mesh, six channels). No
     * measurement of the 8259CL was found; the non-SNC Skylake-SP parts (same core, mesh and channel count) read at 8
     * cores: Gold 6148 (20 cores, 2.4 GHz) 93.5 GB/s with two threads per core, 93.6 with one; Platinum 8174 (24 cores,
     * the 8259CL's core count, run at 2.7 GHz) 90.2 with two, 77.6 with one. NEO's PACPU runs omp_get_max_threads()
     * threads, all 16 vCPUs unless OMP_NUM_THREADS is set, i.e. two per core. The model (8 x 12 GB/s = 96) must lie
     * within 7 % of both two-threads-per-core figures and above the one-thread 24-core figure.
     */
    @Test
    void eightCascadeLakeCoresReadWhatSkylakeSpMeasurementsRead() {
        double model = gbps("t4-g4dn.4xlarge");
        for (double measured : new double[] {93.5, 90.2}) {
            assertTrue(Math.abs(model / measured - 1) <= 0.07, model + " GB/s against a measured " + measured);
        }
        assertTrue(model >= 77.6, model + " GB/s below the one-thread-per-core 24-core measurement");
    }

    /**
     * g5 hosts: EPYC 7R32 (Rome), 8-core CCDs, one link each. EPYC 7452 (Rome, NPS4), one thread per core, 1 / 2 / 4
     * CCDs: 34.74 / 69.51 / 143.46 GB/s. The rule gives 33 / 66 / 132 for the 8-, 16- and 32-core instances: at most
     * the measurement and within 10 % of it (the per-CCD 33 GB/s is a triad figure; a read-only stream gets a bit more).
     */
    @Test
    void romeCcdsReadWhatTheEpyc7452Reads() {
        String[] ids = {"a10g-g5.4xlarge", "a10g-g5.8xlarge", "a10g-g5.16xlarge"};
        double[] measured = {34.74, 69.51, 143.46};
        for (int i = 0; i < ids.length; i++) {
            double model = gbps(ids[i]);
            assertTrue(model <= measured[i] && model >= 0.9 * measured[i], ids[i] + ": " + model + " GB/s against a measured "
                    + measured[i]);
        }
    }

    /**
     * The links as AWS attaches the GPUs, measured on the instances (SpareCores/sc-inspector-data,
     * {@code data/aws/<instance>/nvbandwidth}): nvbandwidth's pinned copy-engine copies, host to device and back, GB/s;
     * nvidia-smi shows both GPUs at 8 lanes of 16 (T4: PCIe Gen3, A10G: Gen4). A g4dn.xlarge measures the same T4 link.
     */
    @Test
    void linksCopyAtTheMeasuredRates() {
        HardwareSpec.Link t4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge").link();
        assertEquals(6.27149, t4.h2dGBps(), 0.01);
        assertEquals(6.60654, t4.d2hGBps(), 0.01);
        for (String id : new String[] {"a10g-g5.2xlarge", "a10g-g5.4xlarge", "a10g-g5.8xlarge", "a10g-g5.16xlarge"}) {
            HardwareSpec.Link l = HardwareSpecs.builtIn(id).link();
            assertEquals(13.4659, l.h2dGBps(), 0.01, id);
            assertEquals(13.2133, l.d2hGBps(), 0.01, id);
        }
    }
}
