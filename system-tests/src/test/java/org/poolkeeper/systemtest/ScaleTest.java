package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scale benchmark scaled down (deploy/scale-bench.sh, 10,000 pools): three registrar JVMs, every pool
 * resolvable through every registrar, a SIGKILL of one registrar, no PE homed at the survivors missing at any
 * moment, every pool written again, and the restarted registrar's join. It asserts what the benchmark checks, never
 * a timing.
 */
class ScaleTest {

    @Test
    void tenThousandPoolsSurviveTheLossOfARegistrarAndItsRejoin() throws Exception {
        Path out = Files.createTempDirectory("poolkeeper-scale");
        Programs.Child bench = new Programs.Child(List.of(Programs.root().resolve("deploy/scale-bench.sh").toString(),
                "--pools", "10000", "--pes-per-pool", "2", "--heap", "256m", "--connections", "4",
                "--probe-pools", "10000", "--resolve-seconds", "2", "--out", out.toString()),
                "-Xmx256m -XX:+UseSerialGC");
        int exit = bench.waitFor(600);
        String report = Files.exists(out.resolve("report.md")) ? Files.readString(out.resolve("report.md")) : "";
        assertEquals(0, exit, () -> "scale benchmark failed:\n" + report + "\n" + String.join("\n", bench.stderr));
        assertTrue(report.contains("| every pool resolvable through every registrar | 30,000 of 30,000 "), report);
        assertTrue(report.contains("| PEs homed at the survivors missing at any moment | 0 ("), report);
        assertTrue(report.contains("written by the survivors") || report.contains("to accept a registration"), report);
        assertTrue(report.contains("Result: PASS"), report);
    }
}
