package org.poolkeeper.replication;

/**
 * Where a pool's replicated state stands in its writer's stream of changes: the writer's incarnation of the
 * pool ({@code epoch}), the last change applied within it ({@code sequence}; 0 before the first), and the
 * registrar that writes it. Each writer incarnation of a pool has an epoch greater than any the pool had before,
 * and numbers its changes 1, 2, 3 … without gaps, so a replica can apply them strictly in order and notice a lost
 * one. Immutable.
 *
 * @param epoch    the writer incarnation (positive)
 * @param sequence the last change applied, 0 before the first
 * @param writer   the registrar id of the writer
 */
public record PoolOrder(long epoch, long sequence, int writer) {

    public PoolOrder {
        if (epoch <= 0 || sequence < 0) {
            throw new IllegalArgumentException("epoch must be positive and sequence not negative: " + epoch + "/"
                    + sequence);
        }
    }

    /** The order after one more change by the same incarnation. */
    public PoolOrder next() {
        return new PoolOrder(epoch, sequence + 1, writer);
    }

    /** Whether this state is newer than {@code other}'s: a greater epoch, or the same epoch further on. */
    public boolean isNewerThan(PoolOrder other) {
        return epoch > other.epoch || epoch == other.epoch && sequence > other.sequence;
    }

    /** What a replica at this order does with the change ({@code epoch}, {@code sequence}). */
    public Admission admit(long changeEpoch, long changeSequence) {
        if (changeEpoch > epoch) {
            return changeSequence == 1 ? Admission.NEW_EPOCH : Admission.GAP;
        }
        if (changeEpoch < epoch || changeSequence <= sequence) {
            return Admission.STALE;
        }
        return changeSequence == sequence + 1 ? Admission.APPLIED : Admission.GAP;
    }

    /** What a replica that holds nothing of the pool does with the change ({@code epoch}, {@code sequence}). */
    public static Admission admitFirst(long changeSequence) {
        return changeSequence == 1 ? Admission.APPLIED : Admission.GAP;
    }
}
