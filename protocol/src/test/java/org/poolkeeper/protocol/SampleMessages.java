package org.poolkeeper.protocol;

import com.google.protobuf.ByteString;
import java.util.Comparator;
import java.util.List;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.Authenticate;
import org.poolkeeper.protocol.wire.AuthenticateResponse;
import org.poolkeeper.protocol.wire.Deregistration;
import org.poolkeeper.protocol.wire.DeregistrationResponse;
import org.poolkeeper.protocol.wire.DumpCursor;
import org.poolkeeper.protocol.wire.DumpRequest;
import org.poolkeeper.protocol.wire.DumpResponse;
import org.poolkeeper.protocol.wire.DumpedPool;
import org.poolkeeper.protocol.wire.EndpointKeepAlive;
import org.poolkeeper.protocol.wire.EndpointKeepAliveAck;
import org.poolkeeper.protocol.wire.EndpointUnreachable;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.Error;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.HandleTableRequest;
import org.poolkeeper.protocol.wire.HandleTableResponse;
import org.poolkeeper.protocol.wire.HandleUpdate;
import org.poolkeeper.protocol.wire.HandleUpdateBatch;
import org.poolkeeper.protocol.wire.MemberStatus;
import org.poolkeeper.protocol.wire.OwnerChecksum;
import org.poolkeeper.protocol.wire.PolicyInfo;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.PoolEntries;
import org.poolkeeper.protocol.wire.Presence;
import org.poolkeeper.protocol.wire.RegistrarEndpoint;
import org.poolkeeper.protocol.wire.Registration;
import org.poolkeeper.protocol.wire.RegistrationResponse;
import org.poolkeeper.protocol.wire.ServerAnnounce;
import org.poolkeeper.protocol.wire.ShardChecksum;
import org.poolkeeper.protocol.wire.StatusRequest;
import org.poolkeeper.protocol.wire.StatusResponse;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;
import org.poolkeeper.protocol.wire.UpdateAction;

/** One realistic message of every type, every field set, for round-trip tests. */
final class SampleMessages {

  static final int LEAST_USED = 0x40000001; // RFC 5356 policy code
  static final int WEIGHTED_RANDOM = 0x00000004;

  static final ByteString POOL = ByteString.copyFromUtf8("echo-pool");

  private SampleMessages() {}

  static TransportAddress ipv4(int port) {
    return TransportAddress.newBuilder()
        .setAddress(ByteString.copyFrom(new byte[] {(byte) 192, 0, 2, 17}))
        .setPort(port)
        .setKind(TransportKind.TRANSPORT_KIND_TCP)
        .build();
  }

  static TransportAddress ipv6(int port) {
    byte[] address = new byte[16];
    address[0] = 0x20;
    address[1] = 0x01;
    address[2] = 0x0d;
    address[3] = (byte) 0xb8;
    address[15] = 1;
    return TransportAddress.newBuilder()
        .setAddress(ByteString.copyFrom(address))
        .setPort(port)
        .setKind(TransportKind.TRANSPORT_KIND_SCTP)
        .build();
  }

  static PolicyInfo policy() {
    return PolicyInfo.newBuilder()
        .setPolicyType(LEAST_USED)
        .setLoad(0x7FFF_FFFF)
        .setWeight(3)
        .setPriority(2)
        .setLoadDegradation(0x0100_0000)
        .build();
  }

  /** A replicated element: every field, replication state included. */
  static PoolElementEntry element(int peId) {
    return PoolElementEntry.newBuilder()
        .setPeId(peId)
        .addAddresses(ipv4(7000 + peId % 1000))
        .addAddresses(ipv6(7000 + peId % 1000))
        .setPolicy(policy())
        .setRegistrationLifeMs(30_000)
        .setHomeRegistrarId(2)
        .setRegisteredAtUs(1_767_225_600_000_000L)
        .setLastReregisteredUs(1_767_225_630_000_000L)
        .setLastSelectedUs(1_767_225_631_500_000L)
        .setExpiryDeadlineUs(1_767_225_660_000_000L)
        .setSelectionSeq(0xFEDC_BA98_7654_3210L)
        .setUnreachableReports(1)
        .setAccumulatedDegradation(0x1_0000_0000L)
        .build();
  }

  /** One AsapMessage per body type. */
  static List<AsapMessage> asapMessages() {
    return List.of(
        AsapMessage.newBuilder()
            .setRegistration(
                Registration.newBuilder()
                    .setRequestId(1)
                    .setPoolHandle(POOL)
                    .setPeId(0xCAFE_BABE)
                    .addAddresses(ipv4(7001))
                    .addAddresses(ipv6(7001))
                    .setPolicy(policy())
                    .setRegistrationLifeMs(30_000))
            .build(),
        AsapMessage.newBuilder()
            .setRegistrationResponse(
                RegistrationResponse.newBuilder()
                    .setRequestId(1)
                    .setPoolHandle(POOL)
                    .setPeId(0xCAFE_BABE)
                    .setCause(ErrorCause.ERROR_CAUSE_INCONSISTENT_POOLING_POLICY))
            .build(),
        AsapMessage.newBuilder()
            .setDeregistration(
                Deregistration.newBuilder().setRequestId(2).setPoolHandle(POOL).setPeId(42))
            .build(),
        AsapMessage.newBuilder()
            .setDeregistrationResponse(
                DeregistrationResponse.newBuilder()
                    .setRequestId(2)
                    .setPoolHandle(POOL)
                    .setPeId(42)
                    .setCause(ErrorCause.ERROR_CAUSE_OK))
            .build(),
        AsapMessage.newBuilder()
            .setHandleResolution(
                HandleResolution.newBuilder()
                    .setRequestId(Long.MIN_VALUE) // uint64 2^63: all 64 bits survive
                    .setPoolHandle(POOL)
                    .setMaxItems(3))
            .build(),
        AsapMessage.newBuilder()
            .setHandleResolutionResponse(
                HandleResolutionResponse.newBuilder()
                    .setRequestId(Long.MIN_VALUE)
                    .setPoolHandle(POOL)
                    .setPolicyType(LEAST_USED)
                    .addElements(element(1))
                    .addElements(element(2))
                    .addElements(element(3)))
            .build(),
        AsapMessage.newBuilder()
            .setEndpointKeepAlive(
                EndpointKeepAlive.newBuilder()
                    .setRequestId(77)
                    .setPoolHandle(POOL)
                    .setPeId(42)
                    .setRegistrarId(2))
            .build(),
        AsapMessage.newBuilder()
            .setEndpointKeepAliveAck(
                EndpointKeepAliveAck.newBuilder().setRequestId(77).setPoolHandle(POOL).setPeId(42))
            .build(),
        AsapMessage.newBuilder()
            .setEndpointUnreachable(
                EndpointUnreachable.newBuilder().setRequestId(3).setPoolHandle(POOL).setPeId(42))
            .build(),
        AsapMessage.newBuilder()
            .setServerAnnounce(
                ServerAnnounce.newBuilder()
                    .setRegistrarId(1)
                    .addRegistrars(endpoint(1, "10.0.0.1", 9901))
                    .addRegistrars(endpoint(2, "registrar-2.example.org", 9901))
                    .addRegistrars(endpoint(3, "2001:db8::3", 9901)))
            .build(),
        AsapMessage.newBuilder()
            .setError(
                Error.newBuilder()
                    .setRequestId(4)
                    .setCause(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE)
                    .setDetail("no pool 'echo-pool'")
                    .setOffending(ByteString.copyFrom(new byte[] {1, 2, 3})))
            .build(),
        AsapMessage.newBuilder()
            .setDumpRequest(
                DumpRequest.newBuilder()
                    .setRequestId(5)
                    .setCursor(DumpCursor.newBuilder().setShard(7).setAfterPoolHandle(POOL).setAfterPeId(42))
                    .setMaxElements(100))
            .build(),
        AsapMessage.newBuilder()
            .setDumpResponse(
                DumpResponse.newBuilder()
                    .setRequestId(5)
                    .setNowUs(1_700_000_000_000_000L)
                    .addPools(DumpedPool.newBuilder().setPoolHandle(POOL).setPolicyType(1).setSize(1)
                        .setWriterRegistrarId(2).addElements(PoolElementEntry.newBuilder().setPeId(43)))
                    .setNextCursor(DumpCursor.newBuilder().setShard(7).setAfterPoolHandle(POOL)))
            .build(),
        AsapMessage.newBuilder()
            .setStatusRequest(StatusRequest.newBuilder().setRequestId(6))
            .build(),
        AsapMessage.newBuilder()
            .setStatusResponse(
                StatusResponse.newBuilder()
                    .setRequestId(6)
                    .setRegistrarId(1)
                    .setClientEndpoint(endpoint(1, "10.0.0.1", 9901))
                    .setClusterAddress("pekko://poolkeeper@10.0.0.1:7355")
                    .setReady(true)
                    .setPools(3)
                    .setElements(30)
                    .setChecksum(0x1234_5678_9abc_def0L)
                    .setUptimeMs(60_000)
                    .setShards(100)
                    .setHostedShards(34)
                    .setVersion("0.1.0")
                    .addMembers(MemberStatus.newBuilder().setRegistrarId(1).setStatus("Up").setReachable(true)
                        .setClusterAddress("pekko://poolkeeper@10.0.0.1:7355")
                        .setClientEndpoint(endpoint(1, "10.0.0.1", 9901))))
            .build(),
        AsapMessage.newBuilder()
            .setAuthenticate(Authenticate.newBuilder().setRequestId(7)
                .setToken(ByteString.copyFromUtf8("orders-servers-secret")))
            .build(),
        AsapMessage.newBuilder()
            .setAuthenticateResponse(AuthenticateResponse.newBuilder().setRequestId(7).setIdentity("token:orders"))
            .build());
  }

  /** The sample with the longest encoding. */
  static AsapMessage largestAsapMessage() {
    return asapMessages().stream()
        .max(Comparator.comparingInt(AsapMessage::getSerializedSize))
        .orElseThrow();
  }

  private static RegistrarEndpoint endpoint(int id, String host, int port) {
    return RegistrarEndpoint.newBuilder().setRegistrarId(id).setHost(host).setPort(port).build();
  }

  static HandleUpdateBatch handleUpdateBatch() {
    HandleUpdate.Builder update =
        HandleUpdate.newBuilder().setPoolHandle(POOL).setOwnerEpoch(5).setWriterRegistrarId(1);
    return HandleUpdateBatch.newBuilder()
        .setSenderRegistrarId(1)
        .addUpdates(
            update.clone().setSequence(1).setAction(UpdateAction.UPDATE_ACTION_ADD)
                .setElement(element(1)))
        .addUpdates(
            update.clone().setSequence(2).setAction(UpdateAction.UPDATE_ACTION_UPDATE)
                .setElement(element(1)))
        .addUpdates(
            update.clone().setSequence(3).setAction(UpdateAction.UPDATE_ACTION_REMOVE)
                .setElement(PoolElementEntry.newBuilder().setPeId(1)))
        .build();
  }

  static Presence presence() {
    return Presence.newBuilder()
        .setSenderRegistrarId(3)
        .addOwnerChecksums(
            OwnerChecksum.newBuilder().setOwnerId(1).setChecksum(-1L).setElementCount(10_000))
        .addOwnerChecksums(
            OwnerChecksum.newBuilder().setOwnerId(3).setChecksum(0x1234_5678_9ABC_DEF0L))
        .addShardChecksums(
            ShardChecksum.newBuilder().setShardId(17).setChecksum(99).setElementCount(250))
        .build();
  }

  static HandleTableRequest handleTableRequest() {
    return HandleTableRequest.newBuilder()
        .setSenderRegistrarId(2)
        .setRequestId(9)
        .addShardIds(17)
        .addShardIds(18)
        .setMaxElementsPerBlock(500)
        .setCursor(1500)
        .build();
  }

  static HandleTableResponse handleTableResponse() {
    return HandleTableResponse.newBuilder()
        .setRequestId(9)
        .addPools(
            PoolEntries.newBuilder()
                .setPoolHandle(POOL)
                .setPolicyType(LEAST_USED)
                .setOwnerEpoch(5)
                .setLastSequence(3)
                .addElements(element(1))
                .addElements(element(2)))
        .addPools(
            PoolEntries.newBuilder()
                .setPoolHandle(ByteString.copyFromUtf8("other"))
                .setPolicyType(WEIGHTED_RANDOM)
                .setOwnerEpoch(1)
                .setLastSequence(1)
                .addElements(element(9)))
        .setMoreToSend(true)
        .setNextCursor(2000)
        .build();
  }

  /** One EnrpMessage per body type. */
  static List<EnrpMessage> enrpMessages() {
    return List.of(
        EnrpMessage.newBuilder().setHandleUpdateBatch(handleUpdateBatch()).build(),
        EnrpMessage.newBuilder().setPresence(presence()).build(),
        EnrpMessage.newBuilder().setHandleTableRequest(handleTableRequest()).build(),
        EnrpMessage.newBuilder().setHandleTableResponse(handleTableResponse()).build());
  }
}
