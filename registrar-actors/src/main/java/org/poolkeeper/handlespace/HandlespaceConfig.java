package org.poolkeeper.handlespace;

/**
 * Limits and behaviour of the handlespace core; the registrar fills it from its configuration.
 *
 * @param maxPoolHandleLength     longest pool handle in bytes (default 32)
 * @param maxElementsPerPool      most PEs in one pool (default 100,000)
 * @param fullPoolAction          what a registration into a full pool does (default reject)
 * @param maxRegistrationLifeMs   longest registration life a PE may ask for, in milliseconds
 * @param maxHandleResolutionItems MaxHResItems: most PEs per resolution (default 3, at most 128)
 */
public record HandlespaceConfig(int maxPoolHandleLength, int maxElementsPerPool, FullPoolAction fullPoolAction,
                                int maxRegistrationLifeMs, int maxHandleResolutionItems) {

    /** The hard upper bound of MaxHResItems. */
    public static final int HANDLE_RESOLUTION_ITEMS_CAP = 128;

    public static final HandlespaceConfig DEFAULTS =
            new HandlespaceConfig(32, 100_000, FullPoolAction.REJECT, 3_600_000, 3);

    /** What registering a new PE into a full pool does. */
    public enum FullPoolAction {
        /** Refuse the new PE with {@link Status#LACK_OF_RESOURCES}. */
        REJECT,
        /** Remove a uniformly random PE to make room, as the paper's registrar does. */
        EVICT_RANDOM
    }

    public HandlespaceConfig {
        if (maxPoolHandleLength < 1) {
            throw new IllegalArgumentException("maxPoolHandleLength must be at least 1");
        }
        if (maxElementsPerPool < 1) {
            throw new IllegalArgumentException("maxElementsPerPool must be at least 1");
        }
        if (fullPoolAction == null) {
            throw new IllegalArgumentException("fullPoolAction must be set");
        }
        if (maxRegistrationLifeMs < 1) {
            throw new IllegalArgumentException("maxRegistrationLifeMs must be at least 1");
        }
        if (maxHandleResolutionItems < 1 || maxHandleResolutionItems > HANDLE_RESOLUTION_ITEMS_CAP) {
            throw new IllegalArgumentException("maxHandleResolutionItems must be 1-" + HANDLE_RESOLUTION_ITEMS_CAP);
        }
    }

    public HandlespaceConfig withMaxElementsPerPool(int value) {
        return new HandlespaceConfig(maxPoolHandleLength, value, fullPoolAction, maxRegistrationLifeMs,
                maxHandleResolutionItems);
    }

    public HandlespaceConfig withFullPoolAction(FullPoolAction value) {
        return new HandlespaceConfig(maxPoolHandleLength, maxElementsPerPool, value, maxRegistrationLifeMs,
                maxHandleResolutionItems);
    }

    public HandlespaceConfig withMaxHandleResolutionItems(int value) {
        return new HandlespaceConfig(maxPoolHandleLength, maxElementsPerPool, fullPoolAction, maxRegistrationLifeMs,
                value);
    }

    public HandlespaceConfig withMaxPoolHandleLength(int value) {
        return new HandlespaceConfig(value, maxElementsPerPool, fullPoolAction, maxRegistrationLifeMs,
                maxHandleResolutionItems);
    }
}
