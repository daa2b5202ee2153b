package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every launcher in deploy/bin answers --version with one line: its name and the build's version. */
class LauncherVersionTest {
    @ParameterizedTest
    @ValueSource(strings = {"registrar", "poolkeeper", "loadgen", "pe-sim", "pu-sim", "bench", "cluster"})
    void printsItsNameAndTheBuildsVersion(String tool) throws Exception {
        Programs.Run run = Programs.run(tool, List.of("--version"));
        assertEquals(0, run.status(), tool + " --version: " + run.stderr());
        assertEquals(1, run.stdout().size(), tool + " --version printed " + run.stdout());
        String line = run.stdout().get(0);
        String name = tool.equals("poolkeeper") ? "poolkeeper" : "poolkeeper " + tool;
        assertTrue(line.matches(java.util.regex.Pattern.quote(name) + " \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"),
                tool + " --version printed '" + line + "'");
        assertTrue(run.stderr().isEmpty(), tool + " --version wrote to stderr: " + run.stderr());
    }
}
