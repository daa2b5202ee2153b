package org.poolkeeper.pusim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.ResolvedElement;

/**
 * How selection matched each pool's policy, from the first PE of every resolution: round robin by the
 * max/min ratio of pick counts, random and weighted random by a chi-square test against the weights, the
 * Least Used family by the share of picks that carried the lowest load among the PEs returned.
 * Thread-safe.
 */
final class Fairness {
    private static final class PoolFairness {
        Policy policy;
        long picks;
        long leastLoadedPicks;
        final Map<Integer, long[]> pickCounts = new HashMap<>(); // PE id -> {count}
        final Map<Integer, Integer> weights = new HashMap<>();
    }

    private final Map<String, PoolFairness> pools = new TreeMap<>();

    synchronized void record(String pool, List<ResolvedElement> elements) {
        if (elements.isEmpty()) {
            return;
        }
        PoolFairness fairness = pools.computeIfAbsent(pool, p -> new PoolFairness());
        ResolvedElement first = elements.get(0);
        fairness.policy = first.policy();
        fairness.picks++;
        fairness.pickCounts.computeIfAbsent(first.peId(), id -> new long[1])[0]++;
        for (ResolvedElement element : elements) {
            fairness.weights.put(element.peId(), element.weight());
        }
        boolean least = true;
        for (ResolvedElement element : elements) {
            if (Integer.compareUnsigned(element.load(), first.load()) < 0) {
                least = false;
                break;
            }
        }
        if (least) {
            fairness.leastLoadedPicks++;
        }
    }

    synchronized void writeTo(ObjectNode json) {
        for (Map.Entry<String, PoolFairness> entry : pools.entrySet()) {
            PoolFairness f = entry.getValue();
            ObjectNode node = json.putObject(entry.getKey());
            node.put("policy", f.policy == null ? "?" : f.policy.shortName());
            node.put("picks", f.picks);
            node.put("pes_picked", f.pickCounts.size());
            if (f.policy == null) {
                continue;
            }
            switch (f.policy) {
                case ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, PRIORITY -> {
                    long max = f.pickCounts.values().stream().mapToLong(c -> c[0]).max().orElse(0);
                    long min = f.pickCounts.values().stream().mapToLong(c -> c[0]).min().orElse(0);
                    node.put("max_min_ratio", min == 0 ? 0 : Math.round(1000.0 * max / min) / 1000.0);
                }
                case RANDOM, WEIGHTED_RANDOM, RANDOMIZED_LEAST_USED -> node.put("chi_square_p", chiSquareP(f));
                default -> node.put("least_loaded_share", f.picks == 0 ? 0
                        : Math.round(1000.0 * f.leastLoadedPicks / f.picks) / 1000.0);
            }
        }
    }

    private static double chiSquareP(PoolFairness f) {
        if (f.pickCounts.size() < 2) {
            return 1.0;
        }
        int n = f.weights.size();
        double[] expected = new double[n];
        long[] observed = new long[n];
        int i = 0;
        for (Map.Entry<Integer, Integer> pe : f.weights.entrySet()) {
            expected[i] = f.policy == Policy.WEIGHTED_RANDOM ? Math.max(1, Integer.toUnsignedLong(pe.getValue())) : 1;
            long[] count = f.pickCounts.get(pe.getKey());
            observed[i] = count == null ? 0 : count[0];
            i++;
        }
        double p = new ChiSquareTest().chiSquareTest(expected, observed);
        return Math.round(p * 1e6) / 1e6;
    }
}
