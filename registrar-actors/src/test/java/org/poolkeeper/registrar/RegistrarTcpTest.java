package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.poolkeeper.registrar.TestClient.LU;
import static org.poolkeeper.registrar.TestClient.RR;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.DumpRequest;
import org.poolkeeper.protocol.wire.DumpResponse;
import org.poolkeeper.protocol.wire.DumpedPool;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolutionResponse;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.RegistrationResponse;
import org.poolkeeper.protocol.wire.StatusRequest;
import org.poolkeeper.protocol.wire.StatusResponse;
import org.poolkeeper.protocol.wire.TransportAddress;
import org.poolkeeper.protocol.wire.TransportKind;

/**
 * A registrar node over real TCP (127.0.0.1, free ports), driven by a plain-socket client: registration,
 * resolution, deregistration, expiry, keep-alives, connection loss, unreachability reports, every error cause,
 * and bad input. One node serves every test (each test uses its own pool handles).
 */
class RegistrarTcpTest {
    private static TestRegistrar registrar;

    @BeforeAll
    static void start() throws Exception {
        registrar = TestRegistrar.start("""
                poolkeeper.registrar {
                  keep-alive-interval = 200 ms
                  keep-alive-timeout = 200 ms
                  max-elements-per-pool = 4
                  max-pes-per-connection = 6
                  min-registration-life = 100 ms
                  max-registration-life = 1 h
                  allowed-client-networks = ["127.0.0.1/32", "::1/128"]
                }
                poolkeeper.protocol.max-frame-length = 4 KiB
                """);
    }

    @AfterAll
    static void stop() {
        if (registrar != null) {
            registrar.close();
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(5);

    private static void eventually(String what, Callable<Boolean> condition) throws Exception {
        TestRegistrar.eventually(WAIT, what, () -> {
            try {
                return condition.call();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    // ------------------------------------------------------------------ the basics

    @Test
    void registersResolvesAndDeregistersOverTcp() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            RegistrationResponse r1 = pe.register("echo", 11, 7001, RR, 0, 60_000);
            assertEquals(ErrorCause.ERROR_CAUSE_OK, r1.getCause());
            assertEquals(11, r1.getPeId());
            assertEquals(TestClient.handle("echo"), r1.getPoolHandle());
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("echo", 12, 7002, RR, 0, 60_000).getCause());

            HandleResolutionResponse resolution = pu.resolve("echo", null);
            assertEquals(ErrorCause.ERROR_CAUSE_OK, resolution.getCause());
            assertEquals(RR, resolution.getPolicyType());
            assertEquals(2, resolution.getElementsCount());
            assertEquals(0x7e57, resolution.getElements(0).getHomeRegistrarId());
            assertEquals(60_000, resolution.getElements(0).getRegistrationLifeMs());
            TransportAddress address = resolution.getElementsList().stream().filter(e -> e.getPeId() == 11)
                    .findFirst().orElseThrow().getAddresses(0);
            assertEquals(7001, address.getPort());
            assertEquals(TransportKind.TRANSPORT_KIND_TCP, address.getKind());

            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.deregister("echo", 11).getCause());
            assertEquals(List.of(12), pu.resolvedIds("echo", null));
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.deregister("echo", 12).getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, pu.resolve("echo", null).getCause());
        }
    }

    @Test
    void aNewConnectionIsToldWhichRegistrarsExist() throws Exception {
        try (TestClient client = registrar.client()) {
            eventually("a ServerAnnounce arrives", () -> client.announce() != null);
            assertEquals(0x7e57, client.announce().getRegistrarId());
            assertEquals(1, client.announce().getRegistrarsCount());
            assertEquals(registrar.asap().getPort(), client.announce().getRegistrars(0).getPort());
            assertEquals("127.0.0.1", client.announce().getRegistrars(0).getHost());
        }
    }

    // ------------------------------------------------------------------ operator requests

    @Test
    void anOperatorGetsTheNodesStatusAndADumpBlockByBlock() throws Exception {
        try (TestClient pe1 = registrar.client(); TestClient pe2 = registrar.client();
             TestClient op = registrar.client()) {
            for (int id = 1; id <= 4; id++) {
                pe1.register("dump-a", id, 7100 + id, RR, 0, 60_000);
                pe2.register("dump-b", id, 7200 + id, RR, 0, 60_000);
            }
            long sid = op.nextRequestId();
            op.send(AsapMessage.newBuilder().setStatusRequest(StatusRequest.newBuilder().setRequestId(sid)).build());
            StatusResponse status = op.next().getStatusResponse();
            assertEquals(sid, status.getRequestId());
            assertEquals(0x7e57, status.getRegistrarId());
            assertTrue(status.getReady());
            assertEquals(registrar.asap().getPort(), status.getClientEndpoint().getPort());
            assertTrue(status.getElements() >= 8, "the PEs registered: " + status.getElements());
            assertEquals(1, status.getMembersCount());
            assertEquals("Up", status.getMembers(0).getStatus());
            assertTrue(status.getMembers(0).getReachable());
            assertEquals(status.getShards(), status.getHostedShards(), "a node of its own writes every shard");

            Map<String, List<Integer>> seen = new TreeMap<>();
            DumpRequest.Builder dump = DumpRequest.newBuilder().setMaxElements(3);
            int blocks = 0;
            while (true) {
                long id = op.nextRequestId();
                op.send(AsapMessage.newBuilder().setDumpRequest(dump.setRequestId(id)).build());
                DumpResponse block = op.next().getDumpResponse();
                assertEquals(id, block.getRequestId());
                assertEquals(ErrorCause.ERROR_CAUSE_OK, block.getCause());
                blocks++;
                int inBlock = 0;
                for (DumpedPool p : block.getPoolsList()) {
                    for (PoolElementEntry e : p.getElementsList()) {
                        seen.computeIfAbsent(p.getPoolHandle().toStringUtf8(), x -> new ArrayList<>())
                                .add(e.getPeId());
                        inBlock++;
                    }
                }
                assertTrue(inBlock <= 3, "a block holds at most max_elements PEs");
                if (!block.hasNextCursor()) {
                    break;
                }
                dump.setCursor(block.getNextCursor());
            }
            assertEquals(List.of(1, 2, 3, 4), seen.get("dump-a"));
            assertEquals(List.of(1, 2, 3, 4), seen.get("dump-b"));
            assertTrue(blocks >= 3, "8 PEs at 3 per block: " + blocks + " blocks");
        }
    }

    @Test
    void operatorRequestsBeyondTheirRateAreRefusedAndTheConnectionStaysUsable() throws Exception {
        try (TestClient op = registrar.client()) {
            int n = 2 * 1000 + 100; // two rate windows at most: one of them sees more than 1,000
            for (int i = 0; i < n; i++) {
                op.send(AsapMessage.newBuilder().setStatusRequest(StatusRequest.newBuilder()
                        .setRequestId(op.nextRequestId())).build());
            }
            int refused = 0;
            for (int i = 0; i < n; i++) {
                AsapMessage m = op.next();
                if (m.hasError()) {
                    assertEquals(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES, m.getError().getCause());
                    refused++;
                } else {
                    assertTrue(m.hasStatusResponse(), "a status or a refusal: " + m.getBodyCase());
                }
            }
            assertTrue(refused > 0, "some of " + n + " status requests in a burst are refused");
            Thread.sleep(1100); // a new second
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, op.resolve("nothing", null).getCause());
        }
    }

    @Test
    void reRegistrationReordersALeastUsedPool() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            pe.register("lu", 1, 7001, LU, 100, 60_000);
            pe.register("lu", 2, 7002, LU, 200, 60_000);
            pe.register("lu", 3, 7003, LU, 300, 60_000);
            assertEquals(List.of(1, 2, 3), pu.resolvedIds("lu", null));
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("lu", 1, 7001, LU, 400, 60_000).getCause());
            assertEquals(List.of(2, 3, 1), pu.resolvedIds("lu", null));
            pe.register("lu", 3, 7003, LU, 50, 60_000);
            assertEquals(List.of(3, 2, 1), pu.resolvedIds("lu", null));
        }
    }

    @Test
    void resolutionHonoursMaxHResItemsAndTheRequestsCount() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            for (int id = 1; id <= 4; id++) {
                assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("many", id, 7000 + id, RR, 0, 60_000).getCause());
            }
            assertEquals(3, pu.resolve("many", null).getElementsCount(), "MaxHResItems (3) by default");
            assertEquals(3, pu.resolve("many", 0).getElementsCount(), "0 means MaxHResItems");
            assertEquals(1, pu.resolve("many", 1).getElementsCount());
            assertEquals(2, pu.resolve("many", 2).getElementsCount());
            assertEquals(3, pu.resolve("many", 200).getElementsCount(), "capped at MaxHResItems");
            assertEquals(3, pu.resolve("many", -1).getElementsCount(), "2^32-1 is capped too");
        }
    }

    @Test
    void roundRobinRotatesThroughThePool() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            for (int id = 1; id <= 3; id++) {
                pe.register("rr", id, 7000 + id, RR, 0, 60_000);
            }
            List<Integer> firsts = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                firsts.add(pu.resolvedIds("rr", 1).get(0));
            }
            assertEquals(List.of(1, 2, 3, 1, 2, 3), firsts);
        }
    }

    // ------------------------------------------------------------------ removals

    @Test
    void anElementExpiresWhenItsLifeEnds() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            long start = System.nanoTime();
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("short", 1, 7001, RR, 0, 300).getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("short", 2, 7002, RR, 0, 60_000).getCause());
            assertEquals(2, pu.resolve("short", null).getElementsCount());
            eventually("PE 1 expires", () -> pu.resolvedIds("short", null).equals(List.of(2)));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMs >= 300, "expired after " + elapsedMs + " ms, before its life ended");
        }
    }

    @Test
    void reRegistrationExtendsTheLife() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            pe.register("extend", 1, 7001, RR, 0, 600);
            Thread.sleep(300);
            pe.register("extend", 1, 7001, RR, 0, 600); // now due about 900 ms after the start
            Thread.sleep(350); // 650 ms after the start: the first life has ended, the second not
            assertEquals(List.of(1), pu.resolvedIds("extend", null));
            eventually("PE 1 expires after its second life", () -> pu.resolve("extend", null).getCause()
                    == ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE);
        }
    }

    @Test
    void anElementThatStopsAckingKeepAlivesIsRemoved() throws Exception {
        try (TestClient live = registrar.client(); TestClient silent = registrar.client();
             TestClient pu = registrar.client()) {
            silent.ackKeepAlives(false);
            live.register("ka", 1, 7001, RR, 0, 60_000);
            silent.register("ka", 2, 7002, RR, 0, 60_000);
            eventually("the silent PE is removed", () -> pu.resolvedIds("ka", null).equals(List.of(1)));
            assertFalse(silent.keepAlives().isEmpty(), "the silent PE was asked");
            AsapMessage keepAlive = silent.keepAlives().get(0);
            assertEquals(0x7e57, keepAlive.getEndpointKeepAlive().getRegistrarId());
            assertEquals(2, keepAlive.getEndpointKeepAlive().getPeId());
            Thread.sleep(800); // four more keep-alive rounds: the acking PE stays
            assertEquals(List.of(1), pu.resolvedIds("ka", null));
            assertTrue(live.keepAlives().size() >= 3, "the live PE got keep-alives: " + live.keepAlives().size());
        }
    }

    @Test
    void aReRegistrationAnswersAnOutstandingKeepAlive() throws Exception {
        // a client whose registration timed out on its side ignores the keep-alive for it, then registers again:
        // the registration shows the PE is alive, so that keep-alive must not remove it
        org.poolkeeper.handlespace.PoolHandle handle = org.poolkeeper.handlespace.PoolHandle.of("ka-rereg");
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            pe.ackKeepAlives(false);
            pe.register("ka-rereg", 1, 7001, RR, 0, 60_000);
            long registeredAt = registrar.registeredAt(handle, 1);
            long until = System.nanoTime() + 1_200_000_000L; // six keep-alive intervals (200 ms + 200 ms timeout)
            while (System.nanoTime() < until) {
                Thread.sleep(100);
                assertEquals(0, pe.register("ka-rereg", 1, 7001, RR, 0, 60_000).getCause().getNumber());
            }
            assertFalse(pe.keepAlives().isEmpty(), "keep-alives were sent and not answered");
            // a removal and a new registration would have made a new PE, registered later
            assertEquals(registeredAt, registrar.registeredAt(handle, 1), "removed although it re-registered");
            assertEquals(List.of(1), pu.resolvedIds("ka-rereg", null));
        }
    }

    @Test
    void closingAConnectionRemovesItsElements() throws Exception {
        try (TestClient stays = registrar.client(); TestClient pu = registrar.client()) {
            stays.register("close", 1, 7001, RR, 0, 60_000);
            TestClient leaves = registrar.client();
            leaves.register("close", 2, 7002, RR, 0, 60_000);
            leaves.register("close", 3, 7003, RR, 0, 60_000);
            assertEquals(3, pu.resolve("close", null).getElementsCount());
            leaves.close();
            eventually("the closed connection's PEs are removed", () -> pu.resolvedIds("close", null)
                    .equals(List.of(1)));
        }
    }

    private static final ByteString SECRET = ByteString.copyFromUtf8("sixteen-or-more-bytes-of-secret");

    @Test
    void anElementThatMovedToAnotherConnectionWithItsSecretSurvivesTheFirstOnesClose() throws Exception {
        try (TestClient second = registrar.client(); TestClient pu = registrar.client()) {
            TestClient first = registrar.client();
            first.register(TestClient.registration("moved", 1, 7001, TestClient.policy(RR, 0), 60_000)
                    .setOwnerSecret(SECRET));
            assertEquals(ErrorCause.ERROR_CAUSE_OK, second.register(TestClient.registration("moved", 1, 7001,
                    TestClient.policy(RR, 0), 60_000).setOwnerSecret(SECRET)).getCause());
            first.close();
            Thread.sleep(500);
            assertEquals(List.of(1), pu.resolvedIds("moved", null));
        }
    }

    @Test
    void aPeTakenBackAndForthBetweenTwoConnectionsGoesWhenBothClose() throws Exception {
        // two connections of one owner take the PE from each other (as a load client's do); both close, the holder
        // first: its writer gives the PE back to the other one, which has closed too and must still drop it
        TestClient first = registrar.client();
        TestClient second = registrar.client();
        for (int round = 0; round < 3; round++) {
            assertEquals(ErrorCause.ERROR_CAUSE_OK, first.register(TestClient.registration("ping-pong", 1, 7001,
                    TestClient.policy(RR, 0), 60_000).setOwnerSecret(SECRET)).getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_OK, second.register(TestClient.registration("ping-pong", 1, 7001,
                    TestClient.policy(RR, 0), 60_000).setOwnerSecret(SECRET)).getCause());
        }
        second.close(); // the holder
        Thread.sleep(200);
        first.close();
        try (TestClient pu = registrar.client()) {
            eventually("the PE is gone once both connections' grace has passed", () ->
                    pu.resolve("ping-pong", null).getCause() == ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE);
        }
    }

    @Test
    void onlyTheHoldingConnectionOrTheOwnerSecretChangesAnElement() throws Exception {
        try (TestClient owner = registrar.client(); TestClient other = registrar.client();
             TestClient pu = registrar.client()) {
            ErrorCause rejected = ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS;
            owner.register(TestClient.registration("owned", 1, 7001, TestClient.policy(RR, 0), 60_000)
                    .setOwnerSecret(SECRET));
            owner.register("owned", 2, 7002, RR, 0, 60_000); // no secret: only this connection may change it
            for (int pe : new int[] {1, 2}) {
                assertEquals(rejected, other.register(TestClient.registration("owned", pe, 7000 + pe,
                        TestClient.policy(RR, 0), 60_000).addAddresses(TestClient.tcp(9999))).getCause());
                assertEquals(rejected, other.register(TestClient.registration("owned", pe, 7000 + pe,
                        TestClient.policy(RR, 0), 60_000).setOwnerSecret(ByteString.copyFromUtf8(
                        "a-wrong-secret-of-enough-bytes"))).getCause());
                assertEquals(rejected, other.deregister("owned", pe).getCause());
            }
            assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, other.register(TestClient.registration("owned", 3,
                    7003, TestClient.policy(RR, 0), 60_000).setOwnerSecret(ByteString.copyFromUtf8("short")))
                    .getCause(), "a secret of fewer than 16 bytes");
            other.close();
            Thread.sleep(300);
            HandleResolutionResponse listed = pu.resolve("owned", null);
            assertEquals(2, listed.getElementsCount(), "the owner's PEs stay");
            for (var e : listed.getElementsList()) {
                assertEquals(1, e.getAddressesCount(), "with their own addresses only");
                assertEquals(7000 + e.getPeId(), e.getAddresses(0).getPort());
            }
            assertEquals(ErrorCause.ERROR_CAUSE_OK, owner.deregister("owned", 2).getCause());
        }
    }

    @Test
    void threeDistinctReportersRemoveAnElementAndOneReporterCountsOnce() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client();
             TestClient pu2 = registrar.client(); TestClient pu3 = registrar.client()) {
            pe.register("unreach", 1, 7001, RR, 0, 60_000);
            pe.register("unreach", 2, 7002, RR, 0, 60_000);
            for (int i = 0; i < 5; i++) {
                pu.reportUnreachable("unreach", 1);
            }
            pu2.reportUnreachable("unreach", 1);
            Thread.sleep(200);
            assertEquals(2, pu.resolve("unreach", null).getElementsCount(), "two reporters are not enough");
            pe.register("unreach", 1, 7001, RR, 0, 60_000); // the PE says it is alive: the count starts afresh
            pu3.reportUnreachable("unreach", 1);
            Thread.sleep(200);
            assertEquals(2, pu.resolve("unreach", null).getElementsCount(), "reports before it no longer count");
            pu.reportUnreachable("unreach", 1);
            pu2.reportUnreachable("unreach", 1);
            eventually("the third reporter removes PE 1", () -> pu.resolvedIds("unreach", null).equals(List.of(2)));
        }
    }

    // ------------------------------------------------------------------ every error cause

    @Test
    void unrecognizedMessagesGetAnError() throws Exception {
        try (TestClient client = registrar.client()) {
            client.sendRaw(new byte[] {0, 0, 0, 0}); // an empty frame: no message body
            AsapMessage reply = client.next();
            assertEquals(ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE, reply.getError().getCause());
            // a message a registrar sends, not accepts
            client.send(AsapMessage.newBuilder().setRegistrationResponse(RegistrationResponse.newBuilder()
                    .setRequestId(5)).build());
            assertEquals(ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE, client.next().getError().getCause());
            // a field number from the future (an unknown oneof case) is an unrecognized message, too
            client.sendRaw(new byte[] {0, 0, 0, 3, (byte) 0xFA, 0x01, 0x00}); // field 31, length 0
            assertEquals(ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE, client.next().getError().getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, client.resolve("nothing", null).getCause());
        }
    }

    @Test
    void invalidValuesGetARegistrationResponseWithTheCause() throws Exception {
        try (TestClient pe = registrar.client()) {
            ErrorCause invalid = ErrorCause.ERROR_CAUSE_INVALID_VALUES;
            assertEquals(invalid, pe.register("inv", 0, 7001, RR, 0, 60_000).getCause(), "PE id 0");
            assertEquals(invalid, pe.register("inv", 1, 7001, RR, 0, 50).getCause(), "life below the minimum");
            assertEquals(invalid, pe.register("inv", 1, 7001, RR, 0, 4_000_000).getCause(), "life above the max");
            assertEquals(invalid, pe.register("inv", 1, 7001, 0x77, 0, 60_000).getCause(), "unknown policy");
            assertEquals(invalid, pe.register("x".repeat(33), 1, 7001, RR, 0, 60_000).getCause(), "long handle");
            assertEquals(invalid, pe.register("", 1, 7001, RR, 0, 60_000).getCause(), "empty handle");
            assertEquals(invalid, pe.register(TestClient.registration("inv", 1, 7001, TestClient.policy(RR, 0),
                    60_000).clearAddresses()).getCause(), "no address");
            assertEquals(invalid, pe.register(TestClient.registration("inv", 1, 7001, TestClient.policy(RR, 0),
                    60_000).setAddresses(0, TestClient.tcp(7001).toBuilder()
                    .setAddress(ByteString.copyFrom(new byte[5])))).getCause(), "5-byte address");
            assertEquals(invalid, pe.register(TestClient.registration("inv", 1, 7001, TestClient.policy(RR, 0),
                    60_000).setAddresses(0, TestClient.tcp(7001).toBuilder().setPort(0))).getCause(), "port 0");
            assertEquals(invalid, pe.register(TestClient.registration("inv", 1, 7001, TestClient.policy(0x4, 0)
                    .toBuilder().setWeight(0).build(), 60_000)).getCause(), "weight 0 for weighted random");
            assertEquals(invalid, pe.resolve(TestClient.handle("y".repeat(40)), null).getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("inv", 1, 7001, RR, 0, 60_000).getCause());
        }
    }

    @Test
    void aPeIdentifierHeldByAnotherPeIsNotUnique() throws Exception {
        try (TestClient a = registrar.client(); TestClient b = registrar.client()) {
            assertEquals(ErrorCause.ERROR_CAUSE_OK, a.register("uniq", 7, 7001, RR, 0, 60_000).getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_NON_UNIQUE_PE_IDENTIFIER,
                    b.register("uniq", 7, 7999, RR, 0, 60_000).getCause());
        }
    }

    @Test
    void aPoolKeepsItsPolicy() throws Exception {
        try (TestClient pe = registrar.client()) {
            pe.register("policy", 1, 7001, RR, 0, 60_000);
            assertEquals(ErrorCause.ERROR_CAUSE_INCONSISTENT_POOLING_POLICY,
                    pe.register("policy", 2, 7002, LU, 0, 60_000).getCause());
        }
    }

    @Test
    void aFullPoolAndAFullConnectionLackResources() throws Exception {
        try (TestClient pe = registrar.client(); TestClient other = registrar.client()) {
            for (int id = 1; id <= 4; id++) {
                assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("full", id, 7000 + id, RR, 0, 60_000).getCause());
            }
            assertEquals(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES,
                    other.register("full", 5, 7005, RR, 0, 60_000).getCause(), "max-elements-per-pool = 4");
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("full", 1, 7001, RR, 0, 60_000).getCause(),
                    "re-registration in a full pool is fine");
            pe.register("full-b", 1, 7001, RR, 0, 60_000);
            pe.register("full-b", 2, 7002, RR, 0, 60_000);
            assertEquals(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES,
                    pe.register("full-b", 3, 7003, RR, 0, 60_000).getCause(), "max-pes-per-connection = 6");
            assertEquals(ErrorCause.ERROR_CAUSE_OK, other.register("full-b", 3, 7003, RR, 0, 60_000).getCause());
        }
    }

    @Test
    void unknownPoolHandlesAreReported() throws Exception {
        try (TestClient client = registrar.client()) {
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, client.resolve("ghost", null).getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, client.deregister("ghost", 1).getCause());
            client.reportUnreachable("ghost", 1);
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, client.next().getError().getCause());
            client.register("known", 1, 7001, RR, 0, 60_000);
            assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, client.deregister("known", 2).getCause(),
                    "an unknown PE in a known pool");
        }
    }

    @Test
    void clientsOutsideTheAllowedNetworksAreRejectedForSecurityReasons() throws Exception {
        try (TestClient outsider = TestClient.connectFrom(registrar.asap(), "127.0.0.2")) {
            AsapMessage reply = outsider.next();
            assertEquals(ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS, reply.getError().getCause());
            assertTrue(outsider.awaitClosedByPeer(WAIT), "the connection is closed");
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void aMalformedFrameGetsAnErrorAndTheConnectionStays() throws Exception {
        try (TestClient client = registrar.client()) {
            client.register("garbage", 1, 7001, RR, 0, 60_000);
            client.sendRaw(new byte[] {0, 0, 0, 4, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
            AsapMessage reply = client.next();
            assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, reply.getError().getCause());
            assertEquals(0, reply.getError().getRequestId());
            assertEquals(List.of(1), client.resolvedIds("garbage", null), "still connected, PE still there");
        }
    }

    @Test
    void anOversizedFrameClosesOnlyThatConnection() throws Exception {
        try (TestClient good = registrar.client(); TestClient bad = registrar.client()) {
            good.register("oversize", 1, 7001, RR, 0, 60_000);
            bad.register("oversize", 2, 7002, RR, 0, 60_000);
            bad.sendRaw(new byte[] {0, 0x10, 0, 0}); // announces 1 MiB; the limit here is 4 KiB
            assertTrue(bad.awaitClosedByPeer(WAIT), "the offending connection is closed");
            assertEquals(ErrorCause.ERROR_CAUSE_OK, good.register("oversize", 3, 7003, RR, 0, 60_000).getCause());
            eventually("only the offender's PE is gone", () -> sortedIds(good, "oversize").equals(List.of(1, 3)));
        }
    }

    @Test
    void aConnectionThatEndsInsideAFrameLosesOnlyItsOwnElements() throws Exception {
        try (TestClient good = registrar.client()) {
            good.register("truncated", 1, 7001, RR, 0, 60_000);
            TestClient bad = registrar.client();
            bad.register("truncated", 2, 7002, RR, 0, 60_000);
            bad.sendRaw(new byte[] {0, 0, 0, 50, 1, 2, 3});
            bad.close();
            eventually("the truncating client's PE is gone", () -> sortedIds(good, "truncated").equals(List.of(1)));
        }
    }

    private static List<Integer> sortedIds(TestClient client, String pool) throws Exception {
        return client.resolvedIds(pool, null).stream().sorted().toList();
    }
}
