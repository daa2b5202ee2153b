package org.poolkeeper.pesim;

import java.time.Duration;
import java.util.List;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.RegistrarAddress;

/** The validated settings of one pe-sim run; {@code policy} null means mixed. */
record PeSimOptions(List<RegistrarAddress> registrars, int pools, int pesPerPool, String poolPrefix, Policy policy,
                    long reregMinMs, long reregMaxMs, int lifeMs, double churnPerSecond, int burstCount,
                    Duration burstEvery, double crashFraction, int connections, Duration duration, long seed) {
}
