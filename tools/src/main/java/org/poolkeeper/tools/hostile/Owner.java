package org.poolkeeper.tools.hostile;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.TransportAddress;

/**
 * A legitimate owner: one connection from 127.0.0.1 that registers its PEs (each with its own owner secret unless
 * told otherwise, and two addresses) and answers every keep-alive for as long as it is open.
 */
final class Owner implements AutoCloseable {
    /** One PE of this owner. */
    record Pe(ByteString pool, int peId, List<TransportAddress> addresses, byte[] secret) {
        String name() {
            return pool.toStringUtf8() + "/" + Integer.toHexString(peId);
        }
    }

    final FrameConnection connection;
    final List<Pe> pes = new ArrayList<>();

    private Owner(FrameConnection connection) {
        this.connection = connection;
    }

    static Owner open(Context ctx) throws IOException {
        return new Owner(ctx.legit());
    }

    /**
     * Registers {@code count} PEs into {@code pool}, ids {@code firstId} …, and waits for each to be answered OK.
     *
     * @param secretLength 0: no owner secret
     * @throws IOException when one is not answered OK within 10 s
     */
    List<Pe> register(Context ctx, String pool, int firstId, int count, int secretLength) throws IOException {
        ByteString handle = Messages.handle(pool);
        List<Pe> added = new ArrayList<>();
        Map<Long, Pe> sent = new LinkedHashMap<>();
        List<AsapMessage> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int id = firstId + i;
            Pe pe = new Pe(handle, id, Messages.addresses(Messages.address(1, id >>> 8, id, 7000 + i % 1000),
                    Messages.address(2, id >>> 8, id, 7000 + i % 1000)), secretLength == 0 ? null
                    : ctx.secret(secretLength));
            long rid = Messages.nextId();
            sent.put(rid, pe);
            batch.add(Messages.registration(rid, handle, id, pe.addresses(), Messages.LIFE_MS, pe.secret()));
        }
        connection.sendAll(batch);
        for (Map.Entry<Long, Pe> e : sent.entrySet()) {
            AsapMessage answer = connection.await(e.getKey(), 10_000);
            if (!Messages.is(answer, ErrorCause.ERROR_CAUSE_OK)) {
                throw new IOException("the legitimate registration of " + e.getValue().name() + " was answered "
                        + Messages.describe(answer));
            }
            added.add(e.getValue());
        }
        pes.addAll(added);
        return added;
    }

    /**
     * What is wrong with this owner's PEs as {@code checker} sees them (each pool resolved with max_items 128): PEs
     * not listed, or listed with other addresses. Empty when every PE is listed as registered.
     */
    List<String> wrong(FrameConnection checker, List<Pe> which) throws IOException {
        List<String> wrong = new ArrayList<>();
        Map<ByteString, Map<Integer, PoolElementEntry>> listings = new LinkedHashMap<>();
        for (Pe pe : which) {
            if (!listings.containsKey(pe.pool())) {
                AsapMessage r = resolve(checker, pe.pool());
                if (r == null) {
                    wrong.add(pe.pool().toStringUtf8() + ": resolution not answered in 10 s");
                }
                listings.put(pe.pool(), Messages.listed(r));
            }
            PoolElementEntry e = listings.get(pe.pool()).get(pe.peId());
            if (e == null) {
                wrong.add(pe.name() + " not listed");
            } else if (!Messages.sameAddresses(e, pe.addresses())) {
                wrong.add(pe.name() + " listed with other addresses");
            }
        }
        return wrong;
    }

    List<String> wrong(FrameConnection checker) throws IOException {
        return wrong(checker, pes);
    }

    /** Resolves {@code pool} (max_items 128) and waits 10 s at most. */
    static AsapMessage resolve(FrameConnection c, ByteString pool) throws IOException {
        long id = Messages.nextId();
        c.send(Messages.resolution(id, pool, 128));
        return c.await(id, 10_000);
    }

    /** The PEs that got no keep-alive on this connection since {@code sinceNanos}. */
    List<String> withoutKeepAliveSince(long sinceNanos, List<Pe> which) {
        List<String> missing = new ArrayList<>();
        for (Pe pe : which) {
            if (connection.lastKeepAlive(pe.pool(), pe.peId()) <= sinceNanos) {
                missing.add(pe.name());
            }
        }
        return missing;
    }

    @Override
    public void close() {
        connection.close();
    }

    /** At most {@code n} items of a list, then how many more. */
    static String firstOf(List<String> items, int n) {
        if (items.size() <= n) {
            return String.join(", ", items);
        }
        return String.join(", ", items.subList(0, n)) + " … (" + items.size() + " in all)";
    }
}
