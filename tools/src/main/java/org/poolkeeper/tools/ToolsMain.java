package org.poolkeeper.tools;

import java.util.Arrays;
import org.poolkeeper.tools.chaos.ChaosCommand;
import org.poolkeeper.tools.cli.ClusterStatusCommand;
import org.poolkeeper.tools.cli.PoolkeeperCommand;
import org.poolkeeper.tools.hostile.HostileCommand;
import org.poolkeeper.tools.loadgen.LoadGenerator;
import org.poolkeeper.tools.scale.ScaleBench;
import org.poolkeeper.tools.testbed.TestbedCommand;

/**
 * The entry point of {@code poolkeeper-tools.jar}: {@code poolkeeper}, {@code loadgen}, {@code testbed}, {@code scale-bench}, {@code chaos} or
 * {@code hostile}, then that tool's arguments. The launchers in {@code deploy/bin} and {@code deploy} call it.
 */
public final class ToolsMain {
    private ToolsMain() {
    }

    public static void main(String[] args) {
        // logging set up before any thread logs (SLF4J otherwise warns that it replays early calls)
        org.slf4j.LoggerFactory.getILoggerFactory();
        String tool = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        int code = switch (tool) {
            case "loadgen" -> LoadGenerator.run(rest);
            case "testbed" -> TestbedCommand.run(rest);
            case "scale-bench" -> ScaleBench.run(rest);
            case "chaos" -> ChaosCommand.run(rest);
            case "hostile" -> HostileCommand.run(rest);
            case "poolkeeper" -> PoolkeeperCommand.run(rest);
            case "cluster-status" -> ClusterStatusCommand.run(rest);
            default -> {
                System.err.println("poolkeeper-tools: the first argument is the tool: poolkeeper, loadgen, testbed, "
                        + "scale-bench, chaos or hostile"
                        + (tool.isEmpty() ? "" : " (got '" + tool + "')"));
                yield 2;
            }
        };
        System.exit(code);
    }
}
