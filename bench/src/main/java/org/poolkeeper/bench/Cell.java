package org.poolkeeper.bench;

import org.poolkeeper.handlespace.PolicyType;

/** One measured cell: a policy, an operation and a handlespace shape, with its repetitions' rates. */
record Cell(PolicyType policy, Operation operation, int pools, int pesPerPool, double[] rates, Stats stats) {

    String sizeLabel() {
        return pools == 1 ? String.format("%,d", pesPerPool) : String.format("%,d×%,d", pools, pesPerPool);
    }
}
