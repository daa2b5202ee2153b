package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/** The README's client example, taken from the README as it is, compiled and run against a registrar process. */
class ReadmeExampleTest {

    /** The first ```java block after the heading {@code heading}. */
    static String javaBlockAfter(String readme, String heading) {
        int at = readme.indexOf("\n" + heading + "\n");
        assertTrue(at >= 0, "the README has a section '" + heading + "'");
        int open = readme.indexOf("```java\n", at);
        int close = readme.indexOf("\n```", open + 8);
        assertTrue(open > at && close > open, "a java block in '" + heading + "'");
        return readme.substring(open + 8, close + 1);
    }

    @Test
    void theClientExampleCompilesAndRunsAsWritten() throws Exception {
        String readme = Files.readString(Programs.root().resolve("README.md"));
        String source = javaBlockAfter(readme, "## Client library");
        Path dir = Files.createTempDirectory("readme-example");
        Files.writeString(dir.resolve("Example.java"), source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK runs the tests");
        String classpath = System.getProperty("java.class.path");
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int compiled = javac.run(null, diagnostics, diagnostics, "-d", dir.toString(), "-classpath", classpath,
                dir.resolve("Example.java").toString());
        assertEquals(0, compiled, () -> "the example compiles: " + diagnostics.toString(StandardCharsets.UTF_8));

        try (RegistrarProcess registrar = RegistrarProcess.start(0xe8a3)) {
            Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
            Path log = dir.resolve("output.txt");
            Process run = new ProcessBuilder(javaBin.toString(), "-Xmx128m", "-cp",
                    dir + File.pathSeparator + classpath, "Example", registrar.registrars())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = run.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                run.destroyForcibly();
            }
            String output = Files.readString(log);
            assertTrue(ended, "the example ends: " + output);
            assertEquals(0, run.exitValue(), () -> "the example runs: " + output);
            List<String> lines = output.lines().filter(l -> l.startsWith("PE ")).toList();
            assertEquals(1, lines.size(), output);
            assertTrue(lines.get(0).contains("127.0.0.1:7000"), "it resolved the PE it registered: " + output);
        }
    }
}
