package org.poolkeeper.handlespace;

/**
 * Where a block-wise export of one pool stands. It holds the pool's PEs as they were when the export began
 * (in selection order); each block then carries their current state. PEs removed since the start are
 * skipped; PEs added since the start are not part of this export (a replica learns them from the deltas
 * that follow it). Not thread-safe.
 */
public final class ExportCursor {
    final Pool pool;
    final PoolElement[] elements;
    int position;

    ExportCursor(Pool pool, PoolElement[] elements) {
        this.pool = pool;
        this.elements = elements;
    }

    /** True while PEs remain to be exported. */
    public boolean hasMore() {
        return position < elements.length;
    }
}
