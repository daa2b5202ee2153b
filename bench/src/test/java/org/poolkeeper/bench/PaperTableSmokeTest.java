package org.poolkeeper.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bench paper-table --quick} once, in two forks (separate JVMs), and checks that every file it promises
 * is there and well formed.
 */
class PaperTableSmokeTest {
    private static final Pattern NUMBER = Pattern.compile("\\d[\\d,]*\\.\\d+");

    @TempDir
    static Path out;

    @BeforeAll
    @Timeout(120)
    static void runQuickPaperTable() {
        assertEquals(0, BenchMain.run("paper-table", "--quick", "--forks", "2", "--out", out.toString()),
                "paper-table --quick exit code");
    }

    @Test
    void resultsCsvHasOneWellFormedRowPerCell() throws IOException {
        List<String> lines = Files.readAllLines(out.resolve("results.csv"), StandardCharsets.UTF_8);
        assertEquals("policy,operation,pools,pes,ops_per_s,fork_min,fork_max,forks,rsplib_ops_per_s", lines.get(0));
        Set<String> operations = Set.of("registration", "deregistration", "reregistration", "resolution1",
                "resolution3", "timer", "expire1", "bulk_expire", "export", "import");
        Set<String> cells = new HashSet<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            assertEquals(9, f.length, line);
            assertTrue(Set.of("RR", "LU", "RAND", "WRAND").contains(f[0]), line);
            assertTrue(operations.contains(f[1]), line);
            assertTrue(Integer.parseInt(f[2]) >= 1 && Integer.parseInt(f[3]) >= 10, line);
            double median = Double.parseDouble(f[4]);
            double low = Double.parseDouble(f[5]);
            double high = Double.parseDouble(f[6]);
            assertTrue(median > 0 && low > 0 && low <= median && median <= high, line);
            // the two forks' own figures, whose median (their mean) and min-max the row gives
            double[] forks = Arrays.stream(f[7].split(";")).mapToDouble(Double::parseDouble).sorted().toArray();
            assertEquals(2, forks.length, line);
            assertEquals(low, forks[0], 0.1, line);
            assertEquals(high, forks[1], 0.1, line);
            assertEquals((forks[0] + forks[1]) / 2, median, 0.1, line);
            // RSPLIB's figure exactly where the anchors measured it: at 3,000 PEs, not 100, and not export/import
            assertEquals(f[3].equals("3000") && !Set.of("export", "import").contains(f[1]), !f[8].isEmpty(), line);
            assertTrue(cells.add(f[0] + "/" + f[1] + "/" + f[2] + "/" + f[3]), "duplicate cell " + line);
        }
        // quick mode: sizes 100 and 3,000, the paper's four policies, every operation
        assertEquals(2 * 4 * operations.size(), cells.size());
    }

    @Test
    void table1HasThePaperLayoutWithComparisons() throws IOException {
        String table = Files.readString(out.resolve("table1.md"), StandardCharsets.UTF_8);
        for (String column : List.of("RR ours", "LU ours", "RAND ours", "WRAND ours", "RR paper", "WRAND RSPLIB")) {
            assertTrue(table.contains(column), column);
        }
        for (String row : List.of("| registration |", "| reregistration |", "| resolution1 |", "| resolution3 |",
                "| timer |", "| expire1 |", "| deregistration |", "| export |")) {
            assertTrue(table.contains(row), row);
        }
        assertTrue(table.contains("Cells at ≥ ×2 RSPLIB:"));
        assertTrue(table.contains("the median of 2 forks"), table);
        // the paper's RR and LU registration figures (11,237 and 10,854 "ops/s/PE") beside ours
        assertTrue(Pattern.compile("(?m)^\\| registration \\| [^|]+ \\| 11\\.2 \\| [^|]+ \\| [^|]+ \\| 10\\.9 \\|")
                .matcher(table).find(), table);
        // the anchors' RR registration at 3,000 PEs: the median of 820 and 868 k/s
        assertTrue(Pattern.compile("(?m)^\\| registration \\| [^|]+ \\| 844 \\|").matcher(table).find(), table);
    }

    @Test
    void figureIsAReadablePng() throws IOException {
        Path png = out.resolve("figure2.png");
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, Arrays.copyOf(bytes, 8));
        var image = ImageIO.read(png.toFile());
        assertTrue(image.getWidth() > 600 && image.getHeight() > 600);
    }

    @Test
    void memoryAndSyncReportsHoldFigures() throws IOException {
        String memory = Files.readString(out.resolve("memory.md"), StandardCharsets.UTF_8);
        assertTrue(memory.contains("bytes per PE"));
        assertTrue(Pattern.compile("\\| RR \\| 3,000 \\| [\\d,]+ \\| \\d+\\.\\d \\|").matcher(memory).find(), memory);
        String sync = Files.readString(out.resolve("sync.md"), StandardCharsets.UTF_8);
        assertTrue(sync.contains("| 2,000 | export, core only"), sync);
        assertTrue(sync.contains("delta sync"), sync);
        assertTrue(NUMBER.matcher(sync).find(), sync);
    }
}
