package org.poolkeeper.pesim;

import java.time.Duration;
import java.util.List;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.RegistrarAddress;

/**
 * The validated settings of one pe-sim run; {@code policy} null means mixed. {@code hold} is how long the PEs stay
 * registered without any handlespace-changing activity after {@code duration} (zero: they leave at once).
 */
record PeSimOptions(List<RegistrarAddress> registrars, int pools, int pesPerPool, String poolPrefix, Policy policy,
                    long reregMinMs, long reregMaxMs, int lifeMs, double churnPerSecond, int burstCount,
                    Duration burstEvery, double crashFraction, int connections, Duration duration, Duration hold,
                    Duration requestTimeout, long seed) {
}
