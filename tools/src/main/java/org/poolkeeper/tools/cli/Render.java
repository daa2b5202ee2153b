package org.poolkeeper.tools.cli;

import com.google.protobuf.ByteString;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.poolkeeper.client.Policy;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;

/** How the command shows what registrars send: pool handles, PE ids, addresses, policies, times. */
final class Render {
    private Render() {
    }

    /** A pool handle as text: UTF-8 when printable, with other bytes as {@code \xNN}. */
    static String handle(ByteString handle) {
        String text = handle.toString(StandardCharsets.UTF_8);
        boolean printable = handle.isValidUtf8() && text.codePoints().allMatch(c -> c >= 0x20 && c != 0x7f);
        if (printable) {
            return text;
        }
        StringBuilder b = new StringBuilder();
        for (byte x : handle.toByteArray()) {
            int c = x & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        return b.toString();
    }

    static String id(int id) {
        return String.format("0x%08x", id);
    }

    static String address(TransportAddress a) {
        String host;
        try {
            host = InetAddress.getByAddress(a.getAddress().toByteArray()).getHostAddress();
        } catch (UnknownHostException e) {
            host = "?" + a.getAddress().size() + "-byte address";
        }
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        String kind = a.getKind() == TransportKind.TRANSPORT_KIND_TCP ? ""
                : "/" + a.getKind().name().replace("TRANSPORT_KIND_", "").toLowerCase(Locale.ROOT);
        return host + ":" + a.getPort() + kind;
    }

    static String addresses(List<TransportAddress> list) {
        List<String> texts = new ArrayList<>();
        for (TransportAddress a : list) {
            texts.add(address(a));
        }
        return String.join(",", texts);
    }

    /** The policy's short name (RR, LU, …), or its code in hex if unknown. */
    static String policy(int code) {
        Policy p = Policy.fromCode(code);
        return p == null ? String.format("0x%08x", code) : p.shortName();
    }

    /** The parameters the pool's policy uses: load (as a percentage), weight, priority, degradation. */
    static String policyInfo(PolicyInfo info) {
        Policy p = Policy.fromCode(info.getPolicyType());
        if (p == null) {
            return "";
        }
        return switch (p) {
            case ROUND_ROBIN, RANDOM -> "";
            case WEIGHTED_ROUND_ROBIN, WEIGHTED_RANDOM -> "weight " + Integer.toUnsignedString(info.getWeight());
            case PRIORITY -> "priority " + Integer.toUnsignedString(info.getPriority());
            case LEAST_USED, RANDOMIZED_LEAST_USED -> "load " + percent(info.getLoad());
            case LEAST_USED_DEGRADATION -> "load " + percent(info.getLoad()) + " +" + percent(info.getLoadDegradation())
                    + "/selection";
            case PRIORITY_LEAST_USED -> "load " + percent(info.getLoad()) + " priority "
                    + Integer.toUnsignedString(info.getPriority());
        };
    }

    /** A load on RFC 5356's scale (0 .. 2^32-1 for 0 .. 100 %) as a percentage. */
    static String percent(int load) {
        return String.format(Locale.ROOT, "%.1f%%", Integer.toUnsignedLong(load) * 100.0 / 0xFFFF_FFFFL);
    }

    /** {@code 1.2s}, {@code 27s}, {@code 3m05s}, {@code 2h10m}; negative as {@code 0s}. */
    static String span(long millis) {
        if (millis < 0) {
            millis = 0;
        }
        if (millis < 10_000) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        long s = millis / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86_400, s % 86_400 / 3600);
    }

    /** A PE for JSON output; {@code nowMicros} (0: unknown) gives its life left and age. */
    static Map<String, Object> element(PoolElementEntry e, long nowMicros) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pe_id", id(e.getPeId()));
        List<String> addresses = new ArrayList<>();
        for (TransportAddress a : e.getAddressesList()) {
            addresses.add(address(a));
        }
        m.put("addresses", addresses);
        PolicyInfo p = e.getPolicy();
        m.put("policy", policy(p.getPolicyType()));
        m.put("load", Integer.toUnsignedLong(p.getLoad()));
        m.put("weight", Integer.toUnsignedLong(p.getWeight()));
        m.put("priority", Integer.toUnsignedLong(p.getPriority()));
        m.put("registration_life_ms", Integer.toUnsignedLong(e.getRegistrationLifeMs()));
        m.put("home_registrar", id(e.getHomeRegistrarId()));
        if (nowMicros != 0) {
            m.put("life_left_ms", Math.max(0, (e.getExpiryDeadlineUs() - nowMicros) / 1000));
            m.put("registered_ms_ago", Math.max(0, (nowMicros - e.getRegisteredAtUs()) / 1000));
            m.put("reregistered_ms_ago", Math.max(0, (nowMicros - e.getLastReregisteredUs()) / 1000));
        }
        return m;
    }
}
