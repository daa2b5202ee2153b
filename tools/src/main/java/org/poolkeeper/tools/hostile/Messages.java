package org.poolkeeper.tools.hostile;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.EndpointUnreachable;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;

/** The requests the tool sends (from the protocol's generated messages only), and what it reads from answers. */
final class Messages {
    /** The longest registration life a registrar accepts by default (1 h): no PE of a run expires by its life. */
    static final int LIFE_MS = 3_600_000;
    private static final PolicyInfo ROUND_ROBIN = PolicyInfo.newBuilder().setPolicyType(1).build();

    private static final AtomicLong REQUEST_IDS = new AtomicLong();

    private Messages() {
    }

    /** A request id unique in the run, so unique among any connection's requests in flight. */
    static long nextId() {
        return REQUEST_IDS.incrementAndGet();
    }

    static ByteString handle(String pool) {
        return ByteString.copyFrom(pool, StandardCharsets.UTF_8);
    }

    /** A TCP transport address 10.a.b.c:port. */
    static TransportAddress address(int a, int b, int c, int port) {
        return TransportAddress.newBuilder().setAddress(ByteString.copyFrom(new byte[] {10, (byte) a, (byte) b,
                (byte) c})).setPort(port).setKind(TransportKind.TRANSPORT_KIND_TCP).build();
    }

    static AsapMessage registration(long requestId, ByteString pool, int peId, List<TransportAddress> addresses,
                                    int lifeMs, byte[] secret) {
        Registration.Builder r = Registration.newBuilder().setRequestId(requestId).setPoolHandle(pool).setPeId(peId)
                .addAllAddresses(addresses).setPolicy(ROUND_ROBIN).setRegistrationLifeMs(lifeMs);
        if (secret != null) {
            r.setOwnerSecret(ByteString.copyFrom(secret));
        }
        return AsapMessage.newBuilder().setRegistration(r).build();
    }

    static AsapMessage deregistration(long requestId, ByteString pool, int peId, byte[] secret) {
        Deregistration.Builder d = Deregistration.newBuilder().setRequestId(requestId).setPoolHandle(pool)
                .setPeId(peId);
        if (secret != null) {
            d.setOwnerSecret(ByteString.copyFrom(secret));
        }
        return AsapMessage.newBuilder().setDeregistration(d).build();
    }

    static AsapMessage resolution(long requestId, ByteString pool, int maxItems) {
        return AsapMessage.newBuilder().setHandleResolution(HandleResolution.newBuilder().setRequestId(requestId)
                .setPoolHandle(pool).setMaxItems(maxItems)).build();
    }

    static AsapMessage unreachable(long requestId, ByteString pool, int peId) {
        return AsapMessage.newBuilder().setEndpointUnreachable(EndpointUnreachable.newBuilder()
                .setRequestId(requestId).setPoolHandle(pool).setPeId(peId)).build();
    }

    /** The request id an answer names, 0 for messages that name none. */
    static long requestId(AsapMessage m) {
        return switch (m.getBodyCase()) {
            case REGISTRATION_RESPONSE -> m.getRegistrationResponse().getRequestId();
            case DEREGISTRATION_RESPONSE -> m.getDeregistrationResponse().getRequestId();
            case HANDLE_RESOLUTION_RESPONSE -> m.getHandleResolutionResponse().getRequestId();
            case ERROR -> m.getError().getRequestId();
            default -> 0;
        };
    }

    /** The cause an answer carries, as its wire number (so that codes this build does not know still count). */
    static int cause(AsapMessage m) {
        return switch (m.getBodyCase()) {
            case REGISTRATION_RESPONSE -> m.getRegistrationResponse().getCauseValue();
            case DEREGISTRATION_RESPONSE -> m.getDeregistrationResponse().getCauseValue();
            case HANDLE_RESOLUTION_RESPONSE -> m.getHandleResolutionResponse().getCauseValue();
            case ERROR -> m.getError().getCauseValue();
            default -> -1;
        };
    }

    /** "REJECTED_DUE_TO_SECURITY_CONSIDERATIONS", "Error INVALID_VALUES", "no answer", … */
    static String describe(AsapMessage m) {
        if (m == null) {
            return "no answer";
        }
        return (m.hasError() ? "Error " : "") + causeName(m);
    }

    static String causeName(AsapMessage m) {
        return causeName(cause(m));
    }

    static String causeName(int cause) {
        ErrorCause c = ErrorCause.forNumber(cause);
        return c == null ? "cause " + cause : c.name().replace("ERROR_CAUSE_", "");
    }

    static boolean is(AsapMessage m, ErrorCause cause) {
        return m != null && cause(m) == cause.getNumber();
    }

    /** The PEs a resolution listed, by id. */
    static Map<Integer, PoolElementEntry> listed(AsapMessage m) {
        Map<Integer, PoolElementEntry> pes = new HashMap<>();
        if (m != null && m.hasHandleResolutionResponse()) {
            HandleResolutionResponse r = m.getHandleResolutionResponse();
            for (PoolElementEntry e : r.getElementsList()) {
                pes.put(e.getPeId(), e);
            }
        }
        return pes;
    }

    /** Whether an entry lists exactly these addresses (in any order). */
    static boolean sameAddresses(PoolElementEntry e, List<TransportAddress> expected) {
        return e != null && Set.copyOf(e.getAddressesList()).equals(Set.copyOf(expected))
                && e.getAddressesCount() == expected.size();
    }

    static List<TransportAddress> addresses(TransportAddress... a) {
        return new ArrayList<>(List.of(a));
    }
}
