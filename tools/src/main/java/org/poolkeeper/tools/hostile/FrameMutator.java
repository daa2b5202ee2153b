package org.poolkeeper.tools.hostile;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.DeregistrationResponse;
import org.poolkeeper.protocol.wire.EndpointKeepAlive;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.EndpointUnreachable;
import org.poolkeeper.protocol.wire.Error;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.RegistrarEndpoint;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.RegistrationResponse;
import org.poolkeeper.protocol.wire.ServerAnnounce;
import org.poolkeeper.protocol.wire.TransportAddress;

/**
 * Makes the fuzz phase's frames, each a whole frame (length prefix and payload) ready to write. Per frame one
 * {@link Mutation}, drawn with fixed weights out of 100,000.
 *
 * <p>Every pool handle it writes is one of the fuzz pools {@code fz0} … {@code fz9}, random bytes of 0–40 or random
 * letters of 1–33 bytes: never one of the legitimate pools of the run (those are longer than 3 bytes and spelled
 * out), so that the fuzz cannot send a third distinct unreachability report for a legitimate PE, which would remove
 * it by the rules. Not thread-safe: one per fuzzing thread.
 */
final class FrameMutator {
    /** How a frame was made. */
    enum Mutation {
        /** A valid message of any kind, unchanged. */
        VALID(5_000),
        /** A valid message (or one with random values) with 1–8 bits flipped. */
        BIT_FLIPS(35_000),
        /** A valid message cut short; the prefix says the cut length. */
        TRUNCATED(15_000),
        /** A message of a random kind with random field values, sometimes with unknown fields. */
        RANDOM_FIELDS(30_000),
        /** 0–64 random bytes. */
        RANDOM_BYTES(14_800),
        /** Random bytes of a random length up to 65,535 (log-uniform). */
        RANDOM_LENGTH(100),
        /** A valid message behind a prefix that is not its length: a little more or less, 65,535, or above 64 KiB. */
        WRONG_PREFIX(100);

        final int weight;

        Mutation(int weight) {
            this.weight = weight;
        }
    }

    private static final int[] POLICIES = {1, 2, 3, 4, 5, 0x40000001, 0x40000002, 0x40000003, 0x40000004};
    private static final ByteString[] POOLS = new ByteString[10];

    static {
        for (int i = 0; i < POOLS.length; i++) {
            POOLS[i] = Messages.handle("fz" + i);
        }
    }

    private final SplittableRandom random;
    private final List<byte[]> templates = new ArrayList<>();
    private final long[] counts = new long[Mutation.values().length];
    private Mutation last;

    FrameMutator(SplittableRandom random) {
        this.random = random;
        for (int i = 0; i < 64; i++) {
            templates.add(validMessage(i % 11).toByteArray());
        }
    }

    /**
     * Whether the last frame's prefix was not its length: the stream is out of step from there on, so whatever
     * follows on that connection is noise rather than frames.
     */
    boolean desynchronized() {
        return last == Mutation.WRONG_PREFIX;
    }

    /** How many frames of each mutation this mutator made. */
    long[] counts() {
        return counts.clone();
    }

    /** The next frame. */
    byte[] next() {
        int pick = random.nextInt(100_000);
        Mutation m = Mutation.VALID;
        for (Mutation candidate : Mutation.values()) {
            if (pick < candidate.weight) {
                m = candidate;
                break;
            }
            pick -= candidate.weight;
        }
        counts[m.ordinal()]++;
        last = m;
        return switch (m) {
            case VALID -> FrameConnection.frame(template());
            case BIT_FLIPS -> {
                byte[] p = random.nextBoolean() ? template().clone() : randomMessage().toByteArray();
                if (p.length > 0) {
                    int flips = 1 + random.nextInt(8);
                    for (int i = 0; i < flips; i++) {
                        int bit = random.nextInt(p.length * 8);
                        p[bit >>> 3] ^= (byte) (1 << (bit & 7));
                    }
                }
                yield FrameConnection.frame(p);
            }
            case TRUNCATED -> {
                byte[] t = template();
                yield FrameConnection.frame(Arrays.copyOf(t, random.nextInt(t.length)));
            }
            case RANDOM_FIELDS -> FrameConnection.frame(randomMessage().toByteArray());
            case RANDOM_BYTES -> FrameConnection.frame(bytes(random.nextInt(65)));
            case RANDOM_LENGTH -> FrameConnection.frame(bytes((int) Math.min(65_535,
                    Math.exp(random.nextDouble() * Math.log(65_536)))));
            case WRONG_PREFIX -> {
                byte[] f = FrameConnection.frame(template());
                int length = f.length - 4;
                long prefix = switch (random.nextInt(4)) {
                    case 0 -> length + 1 + random.nextInt(16);
                    case 1 -> Math.max(0, length - 1 - random.nextInt(16));
                    case 2 -> 65_535;
                    default -> 65_537 + random.nextLong(0xFFFFFFFFL - 65_537);
                };
                f[0] = (byte) (prefix >>> 24);
                f[1] = (byte) (prefix >>> 16);
                f[2] = (byte) (prefix >>> 8);
                f[3] = (byte) prefix;
                yield f;
            }
        };
    }

    private byte[] template() {
        return templates.get(random.nextInt(templates.size()));
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ valid messages

    private AsapMessage validMessage(int kind) {
        ByteString pool = POOLS[random.nextInt(POOLS.length)];
        int pe = 1 + random.nextInt(1000);
        long id = 1 + random.nextInt(1_000_000);
        TransportAddress a = Messages.address(9, 9, random.nextInt(256), 1 + random.nextInt(65_535));
        AsapMessage.Builder m = AsapMessage.newBuilder();
        switch (kind) {
            case 0 -> m.setRegistration(Registration.newBuilder().setRequestId(id).setPoolHandle(pool).setPeId(pe)
                    .addAddresses(a).setPolicy(PolicyInfo.newBuilder().setPolicyType(1)).setRegistrationLifeMs(30_000)
                    .setOwnerSecret(ByteString.copyFrom(bytes(32))));
            case 1 -> m.setDeregistration(Deregistration.newBuilder().setRequestId(id).setPoolHandle(pool).setPeId(pe));
            case 2 -> m.setHandleResolution(HandleResolution.newBuilder().setRequestId(id).setPoolHandle(pool)
                    .setMaxItems(3));
            case 3 -> m.setEndpointKeepAliveAck(EndpointKeepAliveAck.newBuilder().setRequestId(id)
                    .setPoolHandle(pool).setPeId(pe));
            case 4 -> m.setEndpointUnreachable(EndpointUnreachable.newBuilder().setRequestId(id).setPoolHandle(pool)
                    .setPeId(pe));
            case 5 -> m.setRegistrationResponse(RegistrationResponse.newBuilder().setRequestId(id)
                    .setPoolHandle(pool).setPeId(pe));
            case 6 -> m.setDeregistrationResponse(DeregistrationResponse.newBuilder().setRequestId(id)
                    .setPoolHandle(pool).setPeId(pe));
            case 7 -> m.setHandleResolutionResponse(HandleResolutionResponse.newBuilder().setRequestId(id)
                    .setPoolHandle(pool).setPolicyType(1).addElements(PoolElementEntry.newBuilder().setPeId(pe)
                            .addAddresses(a)));
            case 8 -> m.setEndpointKeepAlive(EndpointKeepAlive.newBuilder().setRequestId(id).setPoolHandle(pool)
                    .setPeId(pe).setRegistrarId(7));
            case 9 -> m.setServerAnnounce(ServerAnnounce.newBuilder().setRegistrarId(7)
                    .addRegistrars(RegistrarEndpoint.newBuilder().setRegistrarId(7).setHost("127.0.0.1")
                            .setPort(3863)));
            default -> m.setError(Error.newBuilder().setRequestId(id).setDetail("fuzz"));
        }
        return m.build();
    }

    // ------------------------------------------------------------------ random values

    private AsapMessage randomMessage() {
        AsapMessage.Builder m = AsapMessage.newBuilder();
        switch (random.nextInt(11)) {
            case 0 -> {
                Registration.Builder r = Registration.newBuilder().setRequestId(random.nextLong())
                        .setPoolHandle(handle()).setPeId(peId()).addAllAddresses(addresses()).setPolicy(policy())
                        .setRegistrationLifeMs(random.nextBoolean() ? 100 + random.nextInt(3_600_000)
                                : random.nextInt());
                if (random.nextBoolean()) {
                    r.setOwnerSecret(ByteString.copyFrom(bytes(random.nextInt(81))));
                }
                m.setRegistration(r);
            }
            case 1 -> {
                Deregistration.Builder d = Deregistration.newBuilder().setRequestId(random.nextLong())
                        .setPoolHandle(handle()).setPeId(peId());
                if (random.nextBoolean()) {
                    d.setOwnerSecret(ByteString.copyFrom(bytes(random.nextInt(81))));
                }
                m.setDeregistration(d);
            }
            case 2 -> {
                HandleResolution.Builder h = HandleResolution.newBuilder().setRequestId(random.nextLong())
                        .setPoolHandle(handle());
                if (random.nextBoolean()) {
                    h.setMaxItems(random.nextBoolean() ? random.nextInt(200) : random.nextInt());
                }
                m.setHandleResolution(h);
            }
            case 3 -> m.setEndpointKeepAliveAck(EndpointKeepAliveAck.newBuilder().setRequestId(random.nextLong())
                    .setPoolHandle(handle()).setPeId(peId()));
            case 4 -> m.setEndpointUnreachable(EndpointUnreachable.newBuilder().setRequestId(random.nextLong())
                    .setPoolHandle(handle()).setPeId(peId()));
            case 5 -> m.setRegistrationResponse(RegistrationResponse.newBuilder().setRequestId(random.nextLong())
                    .setPoolHandle(handle()).setPeId(peId()).setCauseValue(random.nextInt(16)));
            case 6 -> m.setDeregistrationResponse(DeregistrationResponse.newBuilder().setRequestId(random.nextLong())
                    .setPoolHandle(handle()).setPeId(peId()).setCauseValue(random.nextInt(16)));
            case 7 -> {
                HandleResolutionResponse.Builder h = HandleResolutionResponse.newBuilder()
                        .setRequestId(random.nextLong()).setPoolHandle(handle()).setPolicyType(random.nextInt());
                for (int i = random.nextInt(4); i > 0; i--) {
                    h.addElements(PoolElementEntry.newBuilder().setPeId(peId()).addAllAddresses(addresses())
                            .setPolicy(policy()).setUnreachableReports(random.nextInt()));
                }
                m.setHandleResolutionResponse(h);
            }
            case 8 -> m.setEndpointKeepAlive(EndpointKeepAlive.newBuilder().setRequestId(random.nextLong())
                    .setPoolHandle(handle()).setPeId(peId()).setRegistrarId(random.nextInt()));
            case 9 -> {
                ServerAnnounce.Builder s = ServerAnnounce.newBuilder().setRegistrarId(random.nextInt());
                for (int i = random.nextInt(4); i > 0; i--) {
                    s.addRegistrars(RegistrarEndpoint.newBuilder().setRegistrarId(random.nextInt())
                            .setHost(new String(bytes(random.nextInt(20)), StandardCharsets.ISO_8859_1))
                            .setPort(random.nextInt()));
                }
                m.setServerAnnounce(s);
            }
            default -> m.setError(Error.newBuilder().setRequestId(random.nextLong()).setCauseValue(random.nextInt(16))
                    .setDetail("fuzz " + random.nextInt())
                    .setOffending(ByteString.copyFrom(bytes(random.nextInt(64)))));
        }
        if (random.nextInt(10) == 0) {
            m.setUnknownFields(UnknownFieldSet.newBuilder().addField(12 + random.nextInt(1000),
                    UnknownFieldSet.Field.newBuilder().addVarint(random.nextLong()).build()).build());
        }
        return m.build();
    }

    private ByteString handle() {
        return switch (random.nextInt(10)) {
            case 0, 1, 2, 3 -> POOLS[random.nextInt(POOLS.length)];
            case 4, 5, 6 -> ByteString.copyFrom(bytes(random.nextInt(41)));
            default -> {
                byte[] letters = new byte[1 + random.nextInt(33)];
                for (int i = 0; i < letters.length; i++) {
                    letters[i] = (byte) ('a' + random.nextInt(26));
                }
                yield ByteString.copyFrom(letters);
            }
        };
    }

    private int peId() {
        return switch (random.nextInt(10)) {
            case 0 -> 0;
            case 1, 2, 3 -> 1 + random.nextInt(100);
            default -> random.nextInt();
        };
    }

    private List<TransportAddress> addresses() {
        List<TransportAddress> list = new ArrayList<>();
        for (int i = random.nextInt(random.nextInt(20) == 0 ? 70 : 4); i > 0; i--) {
            int[] lengths = {4, 4, 4, 16, 0, 3, 5};
            list.add(TransportAddress.newBuilder()
                    .setAddress(ByteString.copyFrom(bytes(lengths[random.nextInt(lengths.length)])))
                    .setPort(random.nextInt(4) == 0 ? random.nextInt() : 1 + random.nextInt(65_535))
                    .setKindValue(random.nextInt(5)).build());
        }
        return list;
    }

    private PolicyInfo policy() {
        return PolicyInfo.newBuilder()
                .setPolicyType(random.nextInt(5) == 0 ? random.nextInt() : POLICIES[random.nextInt(POLICIES.length)])
                .setLoad(random.nextInt()).setWeight(random.nextInt()).setPriority(random.nextInt())
                .setLoadDegradation(random.nextInt()).build();
    }
}
