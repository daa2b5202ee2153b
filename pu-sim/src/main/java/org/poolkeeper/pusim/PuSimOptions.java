package org.poolkeeper.pusim;

import java.time.Duration;
import java.util.List;
import org.poolkeeper.client.RegistrarAddress;

/**
 * The validated settings of one pu-sim run; {@code rate} 0 means as fast as answers come; {@code warmup} is resolved
 * at the same rate before {@code duration} and counted nowhere.
 */
record PuSimOptions(List<RegistrarAddress> registrars, List<String> pools, double rate, int inFlight, int pus,
                    int maxItems, double reportUnreachable, Duration duration, long seed, Duration cacheStale,
                    Duration requestTimeout, Duration warmup) {

    PuSimOptions withDuration(Duration d) {
        return new PuSimOptions(registrars, pools, rate, inFlight, pus, maxItems, reportUnreachable, d, seed,
                cacheStale, requestTimeout, Duration.ZERO);
    }
}
