package org.apexbench.profiler.hardware;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Holds the host bandwidth rule ({@link HardwareSpec.Host#attentionBandwidthBytesPerSec()}) and the host-device links
 * to measurements of the built-in instances themselves, and the host rule also to the closest measured relatives of
 * their CPUs. The instance figures are SpareCores' public benchmark runs (github.com/SpareCores/sc-inspector-data,
 * {@code data/aws/<instance>/membench}, {@code bw_mem}, {@code nvbandwidth}; docs/decisions.md, "thirteenth pass"):
 * sc-membench 1.2.1 reads with one thread per vCPU over DRAM-sized per-thread buffers and prints MiB/s (converted here),
 * lmbench's bw_mem -P nproc rd prints 1e6 bytes/s, nvbandwidth copies pinned host buffers with the copy engine. The
 * relatives are likwid-bench {@code load} from RRZE-HPC/kerncraft's machine files (commit 5d1cc67; "seventh pass").
 * The rule is the test's subject; the published NEO curves are not used here.
 */
class HostBandwidthEvidenceTest {
    private static final double MIB = 1024.0 * 1024.0 / 1e9;

    private static double gbps(String id) {
        return HardwareSpecs.builtIn(id).host().attentionBandwidthBytesPerSec() / 1e9;
    }

    private static void within(String id, double model, double tolerance, double... measured) {
        for (double m : measured) {
            assertTrue(Math.abs(model / m - 1) <= tolerance, id + ": " + model + " GB/s against a measured " + m);
        }
    }

    /**
     * Each g5 instance NEO's CPU-sensitivity experiment ran on (EPYC 7R32, 8-core CCDs), read-only, GB/s: sc-membench at
     * 16, 32 and 64 MiB per thread (2026) and bw_mem at 64 and 512 MB per process (2024). One CCX (g5.2xlarge, 4 cores),
     * one CCD (4xlarge), two CCDs (8xlarge) and four of the socket's six (16xlarge, where the socket's DRAM binds).
     */
    @Test
    void eachG5InstanceReadsWhatItWasMeasuredToRead() {
        within("a10g-g5.2xlarge", gbps("a10g-g5.2xlarge"), 0.02, 34864.19 * MIB, 34900.84 * MIB, 34846.07 * MIB, 37.05470, 36.75586);
        within("a10g-g5.4xlarge", gbps("a10g-g5.4xlarge"), 0.03, 35600.54 * MIB, 35513.02 * MIB, 35713.43 * MIB, 37.78768, 37.88837);
        within("a10g-g5.8xlarge", gbps("a10g-g5.8xlarge"), 0.02, 70529.88 * MIB, 70583.33 * MIB, 70581.75 * MIB, 74.25713, 74.38855);
        within("a10g-g5.16xlarge", gbps("a10g-g5.16xlarge"), 0.02, 114651.30 * MIB, 114647.72 * MIB, 114794.90 * MIB, 120.36564,
                119.57454);
    }

    /**
     * g4dn.4xlarge, NEO's T4 host: 8 cores (16 vCPUs) of a Xeon Platinum 8259CL, measured on the instance (sc-membench at
     * 32-128 MiB per thread; bw_mem at 64-512 MB per process), and the non-SNC Skylake-SP relatives at 8 cores with two
     * threads per core (Gold 6148 93.5 GB/s, Platinum 8174 90.2), as PACPU runs one OpenMP thread per vCPU.
     */
    @Test
    void theT4HostReadsWhatItAndItsRelativesWereMeasuredToRead() {
        double model = gbps("t4-g4dn.4xlarge");
        within("t4-g4dn.4xlarge", model, 0.02, 87371.11 * MIB, 86366.64 * MIB, 85940.20 * MIB, 91.69575, 90.22084, 90.03009);
        within("t4-g4dn.4xlarge (relatives)", model, 0.04, 93.5, 90.2);
    }

    /**
     * g6.4xlarge, the L4's host: 8 cores (16 vCPUs) of an EPYC 7R13 (Milan, one CCD), measured on the instance
     * (sc-membench at 16, 32 and 64 MiB per thread; bw_mem at 64 and 512 MB per process).
     */
    @Test
    void theL4HostReadsWhatItWasMeasuredToRead() {
        within("l4-g6.4xlarge", gbps("l4-g6.4xlarge"), 0.03, 36521.67 * MIB, 37264.04 * MIB, 36557.12 * MIB, 40.01052, 40.23747);
    }

    /**
     * The links as AWS attaches the GPUs: nvbandwidth's pinned copy-engine copies, host to device and back, GB/s; nvidia-smi
     * shows the three GPUs at 8 lanes of 16 (T4: PCIe Gen3, A10G and L4: Gen4). The g4dn.xlarge measures the same T4 link.
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
        HardwareSpec.Link l4 = HardwareSpecs.builtIn("l4-g6.4xlarge").link();
        assertEquals(13.4669, l4.h2dGBps(), 0.01);
        assertEquals(13.2132, l4.d2hGBps(), 0.01);
    }
}
