package org.poolkeeper.client;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * What a pool element registers: its pool, policy and policy parameters, addresses and registration life.
 * Load and weight come from suppliers, read at every (re-)registration, so a server reports its current
 * values. Build with {@link #builder(String, Policy)}.
 *
 * @param poolHandle          the pool handle (UTF-8)
 * @param policy              the pool policy
 * @param load                current load (Least Used family), unsigned 32-bit
 * @param weight              current weight (weighted policies), at least 1
 * @param priority            priority (Priority policy)
 * @param loadDegradation     load degradation (LU with degradation, priority LU)
 * @param addresses           where the server accepts its users (1–64 TCP addresses)
 * @param registrationLife    how long a registration lasts without re-registration
 * @param reregistrationEvery how often to re-register; {@code null} means life / 3
 * @param peId                a fixed PE identifier, or 0 for a random one
 * @param autoReregister      whether the client re-registers by itself (simulators drive it themselves)
 */
public record PoolElementSpec(String poolHandle, Policy policy, IntSupplier load, IntSupplier weight, int priority,
                              int loadDegradation, List<InetSocketAddress> addresses, Duration registrationLife,
                              Duration reregistrationEvery, int peId, boolean autoReregister) {
    public PoolElementSpec {
        Objects.requireNonNull(poolHandle, "poolHandle");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(load, "load");
        Objects.requireNonNull(weight, "weight");
        addresses = List.copyOf(addresses);
        if (addresses.isEmpty() || addresses.size() > 64) {
            throw new IllegalArgumentException("a pool element needs 1-64 addresses");
        }
        for (InetSocketAddress address : addresses) {
            if (address.isUnresolved()) {
                throw new IllegalArgumentException("address must be resolved: " + address);
            }
        }
        Objects.requireNonNull(registrationLife, "registrationLife");
        if (registrationLife.toMillis() < 1 || registrationLife.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("registration life must be 1 ms to 24 days");
        }
    }

    /** How often the client re-registers: the configured interval, or a third of the life. */
    public Duration effectiveReregistrationInterval() {
        return reregistrationEvery != null ? reregistrationEvery : registrationLife.dividedBy(3);
    }

    public static Builder builder(String poolHandle, Policy policy) {
        return new Builder(poolHandle, policy);
    }

    /** Builds a {@link PoolElementSpec}; defaults: load 0, weight 1, life 30 s, one address required. */
    public static final class Builder {
        private final String poolHandle;
        private final Policy policy;
        private IntSupplier load = () -> 0;
        private IntSupplier weight = () -> 1;
        private int priority;
        private int loadDegradation;
        private List<InetSocketAddress> addresses = List.of();
        private Duration life = Duration.ofSeconds(30);
        private Duration reregistrationEvery;
        private int peId;
        private boolean autoReregister = true;

        private Builder(String poolHandle, Policy policy) {
            this.poolHandle = poolHandle;
            this.policy = policy;
        }

        public Builder load(IntSupplier value) {
            this.load = value;
            return this;
        }

        public Builder load(int value) {
            return load(() -> value);
        }

        public Builder weight(IntSupplier value) {
            this.weight = value;
            return this;
        }

        public Builder weight(int value) {
            return weight(() -> value);
        }

        public Builder priority(int value) {
            this.priority = value;
            return this;
        }

        public Builder loadDegradation(int value) {
            this.loadDegradation = value;
            return this;
        }

        public Builder address(InetSocketAddress value) {
            return addresses(List.of(value));
        }

        public Builder addresses(List<InetSocketAddress> value) {
            this.addresses = value;
            return this;
        }

        public Builder registrationLife(Duration value) {
            this.life = value;
            return this;
        }

        public Builder reregistrationEvery(Duration value) {
            this.reregistrationEvery = value;
            return this;
        }

        public Builder peId(int value) {
            this.peId = value;
            return this;
        }

        public Builder autoReregister(boolean value) {
            this.autoReregister = value;
            return this;
        }

        public PoolElementSpec build() {
            return new PoolElementSpec(poolHandle, policy, load, weight, priority, loadDegradation, addresses, life,
                    reregistrationEvery, peId, autoReregister);
        }
    }
}
