package org.poolkeeper.bench;

import org.poolkeeper.handlespace.PolicyType;

/** Public entry for the JMH benchmarks, which live in their own package. */
public final class Workloads {
    private Workloads() {
    }

    /** A filled workload of {@code pools} × {@code pes} PEs and the loop for {@code op} on it. */
    public static OperationLoop loop(PolicyType policy, int pools, int pes, Operation op) {
        return OperationLoop.create(op, new Workload(policy, pools, pes, 66).fill());
    }
}
