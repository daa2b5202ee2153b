package org.poolkeeper.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.poolkeeper.bench.Operation;
import org.poolkeeper.bench.OperationLoop;
import org.poolkeeper.bench.Workloads;
import org.poolkeeper.handlespace.PolicyType;

/**
 * The paper-table's core operations under JMH, on the same workload. One invocation is one operation;
 * deregistration and expire1 include their refill (a registration) here, bulk_expire its rebuild, export and
 * import a whole handlespace — for those, use {@code bench paper-table}, which times the operation alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class HandlespaceBenchmark {
    @Param({"RR", "LU", "RAND", "WRAND"})
    public String policy;

    @Param({"3000"})
    public int pes;

    @Param({"1"})
    public int pools;

    @Param({"registration", "reregistration", "resolution1", "resolution3", "timer", "expire1", "export"})
    public String operation;

    private OperationLoop loop;

    @Setup(Level.Trial)
    public void setUp() {
        loop = Workloads.loop(PolicyType.fromShortName(policy), pools, pes, Operation.fromCsvName(operation));
    }

    @Benchmark
    public long op() {
        return loop.once();
    }
}
