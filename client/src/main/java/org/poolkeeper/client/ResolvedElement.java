package org.poolkeeper.client;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.TransportAddress;

/**
 * A pool element as a handle resolution returned it.
 *
 * @param peId            the PE identifier
 * @param addresses       its transport addresses (IP and port)
 * @param policy          the pool's policy
 * @param load            its load (Least Used family), unsigned
 * @param weight          its weight (weighted policies), unsigned
 * @param homeRegistrarId the registrar the PE registered through
 */
public record ResolvedElement(int peId, List<InetSocketAddress> addresses, Policy policy, int load, int weight,
                              int homeRegistrarId) {

    static ResolvedElement of(PoolElementEntry entry, Policy policy) {
        List<InetSocketAddress> addresses = new ArrayList<>(entry.getAddressesCount());
        for (TransportAddress address : entry.getAddressesList()) {
            try {
                addresses.add(new InetSocketAddress(InetAddress.getByAddress(address.getAddress().toByteArray()),
                        address.getPort()));
            } catch (UnknownHostException | IllegalArgumentException e) {
                // a malformed address from a registrar is skipped; the PE's other addresses remain usable
            }
        }
        return new ResolvedElement(entry.getPeId(), List.copyOf(addresses), policy, entry.getPolicy().getLoad(),
                entry.getPolicy().getWeight(), entry.getHomeRegistrarId());
    }
}
