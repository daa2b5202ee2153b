package org.poolkeeper.registrar.node;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The client networks a registrar accepts ASAP connections from (configuration key
 * {@code poolkeeper.registrar.allowed-client-networks}), as CIDR blocks such as {@code 10.0.0.0/8} or
 * {@code ::1/128}. A connection from anywhere else gets one Error with cause
 * {@code ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS} and is closed. Immutable.
 */
public final class ClientNetworks {
    private final List<byte[]> networks = new ArrayList<>();
    private final List<Integer> prefixes = new ArrayList<>();

    /** @throws IllegalArgumentException naming the first entry that is not an IP-literal CIDR block */
    public ClientNetworks(List<String> cidrs) {
        for (String cidr : cidrs) {
            int slash = cidr.indexOf('/');
            String literal = slash < 0 ? cidr.trim() : cidr.substring(0, slash).trim();
            byte[] address;
            if (!literal.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException("not an IP network (need an IP literal): " + cidr);
            }
            try {
                address = InetAddress.getByName(literal).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP network: " + cidr);
            }
            int prefix;
            try {
                prefix = slash < 0 ? address.length * 8 : Integer.parseInt(cidr.substring(slash + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in " + cidr);
            }
            if (prefix < 0 || prefix > address.length * 8) {
                throw new IllegalArgumentException("bad prefix length in " + cidr);
            }
            networks.add(address);
            prefixes.add(prefix);
        }
    }

    /** True if {@code address} lies in one of the networks. */
    public boolean allows(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (int i = 0; i < networks.size(); i++) {
            byte[] net = networks.get(i);
            if (net.length == bytes.length && matches(net, bytes, prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(byte[] net, byte[] address, int prefix) {
        int fullBytes = prefix / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (net[i] != address[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (net[fullBytes] & mask) == (address[fullBytes] & mask);
    }
}
