package org.poolkeeper.tools.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.poolkeeper.simsupport.VersionLine;
import org.poolkeeper.tools.ToolCli;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cluster-status DIR}: the nodes {@code deploy/bin/cluster} started in DIR, from their pid list and status
 * files, one row each; a node whose process is gone, or whose file has not been rewritten for three of its
 * intervals, is marked so and its figures are labelled as its last ones.
 */
@Command(name = "cluster-status", mixinStandardHelpOptions = true,
        versionProvider = VersionLine.class,
        description = "Prints the status of the nodes of a local cluster started by deploy/bin/cluster.")
public final class ClusterStatusCommand implements Callable<Integer> {
    /** A file not rewritten for this many of its intervals is stale. */
    static final int STALE_AFTER_INTERVALS = 3;

    @Parameters(index = "0", paramLabel = "DIR", description = "The cluster's state directory.")
    Path dir;

    @Option(names = {"-o", "--output"}, paramLabel = "table|json", description = "Output format (default: table).")
    PoolkeeperCommand.Format format = PoolkeeperCommand.Format.table;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path pids = dir.resolve("pids");
        if (!Files.exists(pids)) {
            spec.commandLine().getOut().println("cluster: not running (no " + pids + ")");
            return PoolkeeperCommand.EXIT_FAILED;
        }
        List<String> lines = Files.readAllLines(pids);
        List<Map<String, Object>> nodes = new ArrayList<>();
        boolean allWell = true;
        long now = System.currentTimeMillis();
        for (int i = 0; i < lines.size(); i++) {
            long pid = Long.parseLong(lines.get(i).trim());
            boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("node", i + 1);
            node.put("pid", pid);
            node.put("process", alive ? "running" : "gone");
            Optional<JsonNode> status = read(dir.resolve("node" + (i + 1) + ".json"));
            String state;
            if (status.isEmpty()) {
                state = alive ? "starting (no status yet)" : "gone";
            } else {
                JsonNode s = status.get();
                long age = now - s.path("written_at_ms").asLong();
                long interval = Math.max(1, s.path("write_interval_ms").asLong(1000));
                boolean stale = age > STALE_AFTER_INTERVALS * interval;
                boolean samePid = s.path("pid").asLong(pid) == pid;
                state = !alive ? "gone: last status " + Render.span(age) + " old"
                        : !samePid ? "status file of another process"
                        : stale ? "stale: not rewritten for " + Render.span(age)
                        : s.path("ready").asBoolean() ? "ready" : "not ready";
                node.put("registrar_id", s.path("registrar_id").asText(null));
                node.put("client_endpoint", s.path("client_endpoint").asText(null));
                node.put("cluster_address", StatusCommand.host(s.path("cluster_address").asText("")));
                node.put("members", s.path("members").asInt());
                node.put("pools", s.path("pools").asInt());
                node.put("elements", s.path("elements").asInt());
                node.put("checksum", s.path("checksum").asText(null));
                node.put("written_ms_ago", age);
            }
            node.put("state", state);
            allWell &= state.equals("ready");
            nodes.add(node);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format == PoolkeeperCommand.Format.json) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("nodes", nodes);
            json.put("all_ready", allWell);
            out.println(PoolkeeperCommand.JSON.writeValueAsString(json));
        } else {
            Table table = new Table("NODE", "PID", "ID", "CLIENT", "CLUSTER", "MEMBERS", "POOLS", "PES", "CHECKSUM",
                    "STATE");
            for (Map<String, Object> n : nodes) {
                boolean current = "ready".equals(n.get("state")) || "not ready".equals(n.get("state"));
                String mark = current ? "" : "(last) ";
                table.row(n.get("node"), n.get("pid"), n.get("registrar_id"), n.get("client_endpoint"),
                        n.get("cluster_address"), figure(mark, n.get("members")), figure(mark, n.get("pools")),
                        figure(mark, n.get("elements")), n.get("checksum"), n.get("state"));
            }
            table.print(out);
        }
        out.flush();
        return allWell ? PoolkeeperCommand.EXIT_OK : PoolkeeperCommand.EXIT_FAILED;
    }

    private static String figure(String mark, Object value) {
        return value == null ? "" : mark + value;
    }

    private static Optional<JsonNode> read(Path file) {
        try {
            return Files.exists(file) ? Optional.of(PoolkeeperCommand.JSON.readTree(file.toFile())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // being replaced this moment, or not JSON: shown as without status
        }
    }

    /** Runs the command line; the exit status. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new ClusterStatusCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        return ToolCli.run("cluster", cli, ex -> ex.getMessage() == null ? ex.toString() : ex.getMessage(),
                ex -> PoolkeeperCommand.EXIT_FAILED, args);
    }
}
