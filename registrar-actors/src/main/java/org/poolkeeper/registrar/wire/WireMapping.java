package org.poolkeeper.registrar.wire;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.handlespace.TransportKind;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleUpdate;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.PoolEntries;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.UpdateAction;
import org.poolkeeper.replication.Delta;
import org.poolkeeper.replication.PoolOrder;
import org.poolkeeper.replication.PoolPart;

/**
 * Converts between the handlespace core's types and the wire's protobuf messages. Decoding validates: what
 * comes off the wire is untrusted, so every method that reads a wire value throws
 * {@link InvalidWireValueException} with a one-line reason instead of letting a bad value into the core.
 */
public final class WireMapping {
    private WireMapping() {
    }

    /** A wire value the core cannot accept; its message is the reason, fit for an Error reply. */
    public static final class InvalidWireValueException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public InvalidWireValueException(String reason) {
            super(reason, null, false, false);
        }
    }

    /** The RFC 5354 error cause a handlespace status maps to (OK for the successes). */
    public static ErrorCause cause(Status status) {
        return switch (status) {
            case ADDED, UPDATED, REMOVED, REPORTED -> ErrorCause.ERROR_CAUSE_OK;
            case INVALID_VALUES, UNKNOWN_POOL_ELEMENT -> ErrorCause.ERROR_CAUSE_INVALID_VALUES;
            case NON_UNIQUE_PE_IDENTIFIER -> ErrorCause.ERROR_CAUSE_NON_UNIQUE_PE_IDENTIFIER;
            case INCONSISTENT_POOLING_POLICY -> ErrorCause.ERROR_CAUSE_INCONSISTENT_POOLING_POLICY;
            case LACK_OF_RESOURCES -> ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES;
            case UNKNOWN_POOL_HANDLE -> ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE;
            case REJECTED -> ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS;
        };
    }

    /** @throws InvalidWireValueException for an empty handle */
    public static PoolHandle poolHandle(ByteString bytes) {
        if (bytes.isEmpty()) {
            throw new InvalidWireValueException("empty pool handle");
        }
        return PoolHandle.of(bytes.toByteArray());
    }

    public static ByteString poolHandle(PoolHandle handle) {
        return ByteString.copyFrom(handle.asReadOnlyBuffer());
    }

    /** @throws InvalidWireValueException for an unknown policy type code */
    public static PolicyInfo policy(org.poolkeeper.protocol.wire.PolicyInfo wire) {
        PolicyType type = PolicyType.fromCode(wire.getPolicyType());
        if (type == null) {
            throw new InvalidWireValueException("unknown policy type 0x" + Integer.toHexString(wire.getPolicyType()));
        }
        return new PolicyInfo(type, wire.getLoad(), wire.getWeight(), wire.getPriority(), wire.getLoadDegradation());
    }

    public static org.poolkeeper.protocol.wire.PolicyInfo policy(PolicyInfo info) {
        return org.poolkeeper.protocol.wire.PolicyInfo.newBuilder()
                .setPolicyType(info.type().code())
                .setLoad(info.load())
                .setWeight(info.weight())
                .setPriority(info.priority())
                .setLoadDegradation(info.loadDegradation())
                .build();
    }

    /** @throws InvalidWireValueException for no addresses, more than 64, a bad length, port or kind */
    public static AddressBlock addresses(List<TransportAddress> wire) {
        if (wire.isEmpty() || wire.size() > AddressBlock.MAX_ADDRESSES) {
            throw new InvalidWireValueException("a PE needs 1-" + AddressBlock.MAX_ADDRESSES
                    + " transport addresses, got " + wire.size());
        }
        List<org.poolkeeper.handlespace.TransportAddress> list = new ArrayList<>(wire.size());
        for (TransportAddress address : wire) {
            TransportKind kind = switch (address.getKind()) {
                case TRANSPORT_KIND_TCP -> TransportKind.TCP;
                case TRANSPORT_KIND_UDP -> TransportKind.UDP;
                case TRANSPORT_KIND_SCTP -> TransportKind.SCTP;
                default -> throw new InvalidWireValueException("transport kind not set or unknown");
            };
            int length = address.getAddress().size();
            if (length != 4 && length != 16) {
                throw new InvalidWireValueException("an address is 4 or 16 bytes, got " + length);
            }
            if (address.getPort() < 1 || address.getPort() > 65535) {
                throw new InvalidWireValueException("port must be 1-65535, got " + Integer.toUnsignedString(
                        address.getPort()));
            }
            list.add(new org.poolkeeper.handlespace.TransportAddress(kind, address.getAddress().toByteArray(),
                    address.getPort()));
        }
        return AddressBlock.of(list);
    }

    private static org.poolkeeper.protocol.wire.TransportKind kind(TransportKind kind) {
        return switch (kind) {
            case TCP -> org.poolkeeper.protocol.wire.TransportKind.TRANSPORT_KIND_TCP;
            case UDP -> org.poolkeeper.protocol.wire.TransportKind.TRANSPORT_KIND_UDP;
            case SCTP -> org.poolkeeper.protocol.wire.TransportKind.TRANSPORT_KIND_SCTP;
        };
    }

    private static void addAddresses(PoolElementEntry.Builder builder, AddressBlock addresses) {
        addresses.forEach((kind, buffer, offset, length, port) -> builder.addAddresses(TransportAddress.newBuilder()
                .setAddress(ByteString.copyFrom(buffer, offset, length))
                .setPort(port)
                .setKind(kind(kind))));
    }

    /** An address block as the wire lists it. */
    public static List<TransportAddress> addressList(AddressBlock addresses) {
        List<TransportAddress> list = new ArrayList<>();
        addresses.forEach((kind, buffer, offset, length, port) -> list.add(TransportAddress.newBuilder()
                .setAddress(ByteString.copyFrom(buffer, offset, length))
                .setPort(port)
                .setKind(kind(kind)).build()));
        return list;
    }

    /** A PE as a handle resolution response lists it: identity, addresses, policy, life, home registrar. */
    public static PoolElementEntry resolutionEntry(PoolElement e, PolicyType policy) {
        PoolElementEntry.Builder builder = PoolElementEntry.newBuilder()
                .setPeId(e.id())
                .setPolicy(policy(e.policyInfo(policy)))
                .setRegistrationLifeMs(e.registrationLifeMs())
                .setHomeRegistrarId(e.homeRegistrarId());
        addAddresses(builder, e.addressBlock());
        return builder.build();
    }

    /** The snapshot an import needs, from a replication entry. @throws InvalidWireValueException if invalid */
    public static ElementSnapshot snapshot(PoolElementEntry entry) {
        if (entry.getPeId() == 0) {
            throw new InvalidWireValueException("PE identifier 0 is invalid");
        }
        return new ElementSnapshot(entry.getPeId(), policy(entry.getPolicy()), addresses(entry.getAddressesList()),
                entry.getRegistrationLifeMs(), entry.getHomeRegistrarId(), entry.getRegisteredAtUs(),
                entry.getLastReregisteredUs(), entry.getLastSelectedUs(), entry.getExpiryDeadlineUs(),
                entry.getSelectionSeq(), entry.getUnreachableReports(), entry.getAccumulatedDegradation(),
                entry.getRoundCounter(), entry.getOwnerHashHi(), entry.getOwnerHashLo());
    }

    /** A PE snapshot with its full replication state, for ENRP-style transfer. */
    public static PoolElementEntry replicationEntry(ElementSnapshot s) {
        PoolElementEntry.Builder builder = PoolElementEntry.newBuilder()
                .setPeId(s.id())
                .setPolicy(policy(s.policy()))
                .setRegistrationLifeMs(s.lifeMs())
                .setHomeRegistrarId(s.homeRegistrarId())
                .setRegisteredAtUs(s.registeredAt())
                .setLastReregisteredUs(s.lastReregisteredAt())
                .setLastSelectedUs(s.lastSelectedAt())
                .setExpiryDeadlineUs(s.deadline())
                .setSelectionSeq(s.selectionSequence())
                .setUnreachableReports(s.unreachableReports())
                .setAccumulatedDegradation(s.accumulatedDegradation())
                .setRoundCounter(s.roundCounter())
                .setOwnerHashHi(s.ownerHashHi())
                .setOwnerHashLo(s.ownerHashLo());
        addAddresses(builder, s.addresses());
        return builder.build();
    }

    /** A delta as the registrar protocol carries it (ENRP-style HandleUpdate). */
    public static HandleUpdate handleUpdate(Delta delta) {
        HandleUpdate.Builder builder = HandleUpdate.newBuilder()
                .setPoolHandle(poolHandle(delta.poolHandle()))
                .setOwnerEpoch(delta.epoch())
                .setSequence(delta.sequence())
                .setWriterRegistrarId(delta.writer());
        switch (delta.action()) {
            case ADD -> builder.setAction(UpdateAction.UPDATE_ACTION_ADD).setElement(replicationEntry(delta.element()));
            case UPDATE -> builder.setAction(UpdateAction.UPDATE_ACTION_UPDATE)
                    .setElement(replicationEntry(delta.element()));
            case REMOVE -> builder.setAction(UpdateAction.UPDATE_ACTION_REMOVE)
                    .setElement(PoolElementEntry.newBuilder().setPeId(delta.peId()));
        }
        return builder.build();
    }

    /**
     * The delta a HandleUpdate carries. The wire has no reason field: a replicated delta's reason is
     * {@code REGISTRATION} for ADD/UPDATE and {@code DEREGISTRATION} for REMOVE.
     *
     * @throws InvalidWireValueException for an unset action, an empty handle, a zero epoch, sequence or PE id, or
     *     an invalid element
     */
    public static Delta delta(HandleUpdate update) {
        PoolHandle handle = poolHandle(update.getPoolHandle());
        if (update.getOwnerEpoch() <= 0 || update.getSequence() <= 0) {
            throw new InvalidWireValueException("update of " + handle + " with epoch " + update.getOwnerEpoch()
                    + " and sequence " + update.getSequence());
        }
        if (update.getElement().getPeId() == 0) {
            throw new InvalidWireValueException("update of " + handle + " for PE identifier 0");
        }
        return switch (update.getAction()) {
            case UPDATE_ACTION_ADD, UPDATE_ACTION_UPDATE -> new Delta(handle, update.getOwnerEpoch(),
                    update.getSequence(), update.getAction() == UpdateAction.UPDATE_ACTION_ADD
                            ? Delta.Action.ADD : Delta.Action.UPDATE,
                    update.getElement().getPeId(), snapshot(update.getElement()), Delta.Reason.REGISTRATION,
                    update.getWriterRegistrarId());
            case UPDATE_ACTION_REMOVE -> new Delta(handle, update.getOwnerEpoch(), update.getSequence(),
                    Delta.Action.REMOVE, update.getElement().getPeId(), null, Delta.Reason.DEREGISTRATION,
                    update.getWriterRegistrarId());
            default -> throw new InvalidWireValueException("update action not set or unknown");
        };
    }

    /** A pool part of a writer's table as the registrar protocol carries it. */
    public static PoolEntries poolEntries(PoolPart part) {
        PoolEntries.Builder b = PoolEntries.newBuilder()
                .setPoolHandle(poolHandle(part.handle()))
                .setPolicyType(part.policy().code())
                .setOwnerEpoch(part.order().epoch())
                .setLastSequence(part.order().sequence())
                .setContinued(part.continued());
        for (ElementSnapshot s : part.elements()) {
            b.addElements(replicationEntry(s));
        }
        return b.build();
    }

    /**
     * The pool part a PoolEntries carries, written by {@code writer}.
     *
     * @throws InvalidWireValueException for an empty or too long handle, an unknown policy, a zero epoch, or an
     *     invalid element (another policy, a repeated PE id …)
     */
    public static PoolPart poolPart(PoolEntries entries, int writer, int maxPoolHandleLength) {
        PoolHandle handle = poolHandle(entries.getPoolHandle());
        if (handle.length() > maxPoolHandleLength) {
            throw new InvalidWireValueException("pool handle of " + handle.length() + " bytes");
        }
        PolicyType policy = PolicyType.fromCode(entries.getPolicyType());
        if (policy == null) {
            throw new InvalidWireValueException("unknown policy type 0x" + Integer.toHexString(entries.getPolicyType()));
        }
        if (entries.getOwnerEpoch() <= 0 || entries.getLastSequence() < 0) {
            throw new InvalidWireValueException("pool " + handle + " with epoch " + entries.getOwnerEpoch());
        }
        List<ElementSnapshot> elements = new ArrayList<>(entries.getElementsCount());
        for (PoolElementEntry e : entries.getElementsList()) {
            elements.add(snapshot(e));
        }
        try {
            return new PoolPart(handle, policy, new PoolOrder(entries.getOwnerEpoch(), entries.getLastSequence(),
                    writer), elements, entries.getContinued());
        } catch (IllegalArgumentException e) {
            throw new InvalidWireValueException(e.getMessage());
        }
    }
}
