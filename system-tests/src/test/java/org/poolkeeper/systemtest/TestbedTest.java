package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * deploy/testbed.sh runs a short testbed, prints a complete report (the registrars agreeing while the pe-sims hold
 * their PEs registered), saves CSV and PNGs and leaves no child JVM.
 */
class TestbedTest {

    @Test
    void shortTestbedReportsEverythingAndLeavesNoOrphans() throws Exception {
        Path out = Files.createTempDirectory("poolkeeper-testbed");
        try (Programs.Child run = new Programs.Child(List.of(Programs.root().resolve("deploy/testbed.sh").toString(),
                "--duration", "16", "--hold", "6", "--capacity", "1", "--capacity-warmup", "0", "--pools", "2",
                "--pes-per-pool", "10", "--rate", "400", "--out",
                out.toString()), "-Xmx256m -XX:+UseSerialGC")) {
            int exit = run.waitFor(180);
            for (int i = 0; i < 100 && !String.join("\n", run.stdout).contains("testbed: report, CSV"); i++) {
                Thread.sleep(20); // the pump may lag the exit by a moment
            }
            String report = String.join("\n", run.stdout);
            assertEquals(0, exit, () -> "testbed failed:\n" + report + "\n" + String.join("\n", run.stderr));
            for (String op : List.of("Registration", "Re-registration", "Handle Resolution")) {
                assertTrue(Pattern.compile("(?m)^\\| " + op + " \\| 11,237|^\\| " + op + " \\|").matcher(report)
                        .find(), () -> op + " row missing:\n" + report);
            }
            assertTrue(report.contains("Simulation (RR) | Real System (RR) | Poolkeeper (RR)"), report);
            assertTrue(report.contains("Simulation (LU) | Real System (LU) | Poolkeeper (LU)"), report);
            assertTrue(report.contains("| 8,301 |") && report.contains("| 25,033 |"), report);
            assertTrue(Pattern.compile("(?m)^\\| primary \\(registrar-1\\) \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ MB")
                    .matcher(report).find(), () -> "CPU/memory missing:\n" + report);
            for (String p : List.of("RR", "LU")) {
                // the paced phases reached their rates; the max phase has a figure
                for (String rate : List.of("200", "400")) {
                    assertTrue(Pattern.compile("(?m)^\\| " + p + " \\| " + rate
                            + " \\| [0-9,]+ \\| yes \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| 0 \\|")
                            .matcher(report).find(),
                            () -> p + " " + rate + "/s:\n" + report);
                }
                assertTrue(Pattern.compile("(?m)^\\| " + p
                        + " \\| max \\| [1-9][0-9,]* \\| — \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| 0 \\|")
                        .matcher(report).find(), () -> p + " max phase missing:\n" + report);
            }
            assertTrue(report.contains("| capacity: resolutions (loadgen), closed loop before the load |"), report);
            assertTrue(report.contains("Resolution capacity against 4x the paper's real system: RR "), report);
            assertTrue(report.contains("- messages/s") && report.contains("- updates/s"), report);
            java.util.regex.Matcher bytes = Pattern.compile("(?m)^- bytes/s \\(protobuf payload[^:]*: ([0-9]+)$")
                    .matcher(report);
            assertTrue(bytes.find() && Long.parseLong(bytes.group(1)) > 0, "measured replication bytes/s:\n" + report);
            // compared while the pe-sims held their PEs, not after they deregistered: a nonzero count on both
            java.util.regex.Matcher agreed = Pattern.compile(
                    "(?m)^- final checksum agreement: yes, with ([0-9]+) PEs registered on both registrars.*"
                            + "the pe-sims held ([0-9]+) PEs").matcher(report);
            assertTrue(agreed.find(), () -> "no agreement with PEs registered:\n" + report);
            long agreedPes = Long.parseLong(agreed.group(1));
            assertTrue(agreedPes > 0, () -> "agreement on an empty handlespace:\n" + report);
            assertEquals(Long.parseLong(agreed.group(2)), agreedPes, report);
            // registration and re-registration capacity measured before the load, per policy, and nonzero
            for (String p : List.of("RR", "LU")) {
                java.util.regex.Matcher capacity = Pattern.compile("(?m)^testbed: capacity " + p
                        + ": ([0-9,]+) new registrations/s, ([0-9,]+) re-registrations/s").matcher(report);
                assertTrue(capacity.find(), () -> "no capacity line for " + p + ":\n" + report);
                assertTrue(Long.parseLong(capacity.group(1).replace(",", "")) > 0
                        && Long.parseLong(capacity.group(2).replace(",", "")) > 0, report);
            }
            assertTrue(report.contains("| capacity: new PEs (loadgen churn), closed loop before the load |"), report);
            assertTrue(report.contains("During the load the pe-sims offered, and the primary answered: RR "), report);
            assertTrue(report.contains("## Result: PASS"), report);
            assertTrue(report.contains("[  ") || report.contains("s] registrations"), "no progress lines:\n" + report);

            List<String> table = Files.readAllLines(out.resolve("table2.csv"));
            assertEquals("operation,policy,paper_simulation,paper_real_system,poolkeeper,poolkeeper_measure",
                    table.get(0));
            assertEquals(7, table.size(), table::toString);
            List<String> series = Files.readAllLines(out.resolve("timeseries.csv"));
            assertTrue(series.size() > 5, series::toString);
            int columns = series.get(0).split(",").length;
            for (String line : series) {
                assertEquals(columns, line.split(",").length, line);
            }
            assertTrue(Files.readAllLines(out.resolve("latency.csv")).size() > 1, "latency.csv empty");
            for (String png : List.of("latency.png", "cpu.png")) {
                BufferedImage image = ImageIO.read(out.resolve(png).toFile());
                assertTrue(image != null && image.getWidth() > 100, png + " is not a PNG");
            }
            assertTrue(Files.readString(out.resolve("report.md")).contains("## Result: PASS"));
        }
        String marker = out.toString();
        List<String> left = ProcessHandle.allProcesses()
                .filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains(marker))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList();
        assertTrue(left.isEmpty(), () -> "children left running: " + left);
    }

    @Test
    void argumentsThatCannotGiveAMeaningfulRunAreRefusedWithOneLine() throws Exception {
        for (List<String> args : List.of(List.of("--duration", "10"), List.of("--pe-sims", "0"),
                List.of("--pu-sims", "0"), List.of("--duration", "20", "--pu-sims", "5"))) {
            List<String> all = new java.util.ArrayList<>(List.of("testbed"));
            all.addAll(args);
            Programs.Run refused = Programs.run("bench", all);
            assertEquals(2, refused.status(), refused::toString);
            assertEquals(1, refused.stderr().size(), refused::toString);
            assertTrue(refused.stderr().get(0).startsWith("testbed: --"), refused::toString);
        }
    }
}
