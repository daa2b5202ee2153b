package org.poolkeeper.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A figure with its spread: the median of the forks' figures with their min-max ({@link #acrossForks}), or the mean
 * of a few repetitions with its percentile-bootstrap confidence interval ({@link #bootstrap}).
 */
final class Stats {
    static final int RESAMPLES = 10_000;
    /** The bootstrap has its own seeded source so that the workload's stream stays untouched. */
    static final long BOOTSTRAP_SEED = 42;

    /** The median (across forks) or the mean (bootstrap). */
    final double center;
    final double low;
    final double high;

    private Stats(double center, double low, double high) {
        this.center = center;
        this.low = low;
        this.high = high;
    }

    static double mean(double[] xs) {
        double sum = 0;
        for (double x : xs) {
            sum += x;
        }
        return sum / xs.length;
    }

    /** Mean with the 95 % percentile-bootstrap interval from {@value #RESAMPLES} resamples. */
    static Stats bootstrap(double[] xs) {
        double mean = mean(xs);
        int n = xs.length;
        if (n < 2) {
            return new Stats(mean, mean, mean);
        }
        SplittableRandom random = new SplittableRandom(BOOTSTRAP_SEED);
        double[] means = new double[RESAMPLES];
        for (int r = 0; r < RESAMPLES; r++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += xs[random.nextInt(n)];
            }
            means[r] = sum / n;
        }
        Arrays.sort(means);
        double low = means[(int) Math.floor(0.025 * (RESAMPLES - 1))];
        double high = means[(int) Math.ceil(0.975 * (RESAMPLES - 1))];
        // the sample mean sits inside its percentile interval; guard against rounding at the edges
        return new Stats(mean, Math.min(low, mean), Math.max(high, mean));
    }

    /** The median of the forks' figures, with their minimum and maximum. */
    static Stats acrossForks(double[] forks) {
        double[] c = forks.clone();
        Arrays.sort(c);
        return new Stats(median(c), c[0], c[c.length - 1]);
    }

    static double median(double[] xs) {
        double[] c = xs.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }
}
