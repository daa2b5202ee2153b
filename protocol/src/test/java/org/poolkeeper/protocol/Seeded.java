package org.poolkeeper.protocol;

import java.util.Random;

/**
 * Runs a randomized test body with a fresh seed (or {@code -Dpoolkeeper.test.seed=N}) and names
 * the seed when the body fails, so the failure can be replayed.
 */
final class Seeded {

  interface Body {
    void run(Random random) throws Exception;
  }

  private Seeded() {}

  static void run(Body body) {
    long seed = Long.getLong("poolkeeper.test.seed", new Random().nextLong());
    try {
      body.run(new Random(seed));
    } catch (Throwable t) {
      throw new AssertionError("failed with seed " + seed + " (replay: -Dpoolkeeper.test.seed="
          + seed + ")", t);
    }
  }
}
