package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.NoRegistrarReachableException;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.PoolkeeperException;
import org.poolkeeper.protocol.tls.TlsMaterial;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.tools.tls.Certificates;

/**
 * A registrar process with TLS (client certificates optional) and authorization rules: the operators'
 * certificate may do everything, a token may register servers of "orders-*" pools, and everyone may resolve
 * them. Through the real client library and the CLI: what a rule allows works, anything else is answered with
 * REJECTED_DUE_TO_SECURITY_CONSIDERATIONS and changes nothing, and the refusals are logged.
 */
class AuthorizationTest {
    private static final String TOKEN = "orders-servers-secret";
    private static Path dir;
    private static RegistrarProcess registrar;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("poolkeeper-authz");
        Instant now = Instant.now();
        Certificates.Issued ca = Certificates.authority("authz-ca", now.minusSeconds(60), now.plusSeconds(3600));
        Certificates.write(ca, dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));
        Certificates.write(Certificates.issue(ca, "registrar", List.of("127.0.0.1"), now.minusSeconds(60),
                now.plusSeconds(3600)), dir.resolve("registrar.pem"), dir.resolve("registrar-key.pem"));
        Certificates.write(Certificates.issue(ca, "ops", List.of(), now.minusSeconds(60), now.plusSeconds(3600)),
                dir.resolve("ops.pem"), dir.resolve("ops-key.pem"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(TOKEN.getBytes(StandardCharsets.UTF_8)));
        Path conf = dir.resolve("registrar.conf");
        Files.writeString(conf, "poolkeeper.registrar {\n"
                + "  tls { enabled = on, certificate = \"" + dir.resolve("registrar.pem") + "\", private-key = \""
                + dir.resolve("registrar-key.pem") + "\", trusted-certificates = \"" + dir.resolve("ca.pem")
                + "\", client-auth = optional }\n"
                + "  max-bad-pe-reports = 1\n"
                // every refusal is logged here (5 a second by default): the test counts them
                + "  bad-input-log-lines-per-second = 1000\n"
                + "  authorization {\n"
                + "    enabled = on\n"
                + "    rules = [\n"
                + "      { identity = \"CN=ops\", pools = [\"*\"], operations = [register, resolve, report, dump] }\n"
                + "      { name = orders, token-sha256 = \"" + sha + "\", pools = [\"orders-*\"], operations = "
                + "[register] }\n"
                + "      { identity = \"*\", pools = [\"orders-*\"], operations = [resolve] }\n"
                + "    ]\n"
                + "  }\n"
                + "}\n");
        registrar = RegistrarProcess.startWithConfig(0xA07, conf);
    }

    @AfterAll
    static void stop() {
        if (registrar != null) {
            registrar.close();
        }
    }

    private static ClientSettings settings(boolean opsCertificate) {
        TlsMaterial tls = opsCertificate
                ? TlsMaterial.load(dir.resolve("ops.pem"), dir.resolve("ops-key.pem"), null, dir.resolve("ca.pem"))
                : TlsMaterial.load(null, null, null, dir.resolve("ca.pem"));
        return ClientSettings.of(registrar.asap()).withTls(tls);
    }

    private static PoolElementSpec pe(String pool, int port) {
        return PoolElementSpec.builder(pool, Policy.ROUND_ROBIN).address(new InetSocketAddress("127.0.0.1", port))
                .build();
    }

    private static void assertRejected(Runnable request) {
        PoolkeeperException e = assertThrows(PoolkeeperException.class, request::run);
        assertEquals(ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS, e.errorCause(), e::toString);
    }

    @Test
    void eachClientMayDoWhatItsRulesAllowAndNothingElse() throws Exception {
        try (PoolElementClient ops = PoolElementClient.create(settings(true));
             PoolElementClient orders = PoolElementClient.create(settings(false).withToken(TOKEN));
             PoolElementClient anonymous = PoolElementClient.create(settings(false));
             PoolUserClient anyone = PoolUserClient.create(settings(false));
             PoolUserClient opsUser = PoolUserClient.create(settings(true))) {
            // the token's rule: register servers of orders-* pools
            int order = orders.registerBlocking(pe("orders-eu", 9301)).peId();
            assertRejected(() -> orders.registerBlocking(pe("billing", 9302)));
            // no rule lets an anonymous client register, in any pool
            assertRejected(() -> anonymous.registerBlocking(pe("orders-eu", 9303)));
            assertRejected(() -> anonymous.registerBlocking(pe("billing", 9304)));
            // the operators may register anywhere
            int billing = ops.registerBlocking(pe("billing", 9305)).peId();

            // everyone may resolve orders-*; only the operators anything else
            assertEquals(List.of(order), anyone.resolveBlocking("orders-eu", 5).stream().map(e -> e.peId()).toList());
            assertRejected(() -> anyone.resolveBlocking("billing", 5));
            assertEquals(billing, opsUser.resolveBlocking("billing", 5).get(0).peId());
            // a refusal changed nothing: the anonymous registration is not there
            assertEquals(1, opsUser.resolveBlocking("orders-eu", 5).size());

            // no one but the operators may report a PE unreachable (one report removes one here): a report is
            // one-way, so the registrar's refusal shows as the PE staying, and in its log
            anyone.reportUnreachable("orders-eu", order);
            Thread.sleep(500);
            assertEquals(1, opsUser.resolveBlocking("orders-eu", 5).size());
            opsUser.reportUnreachable("orders-eu", order);
            ClientLibraryTest.eventually("the operators' report removed the PE", Duration.ofSeconds(5), () -> {
                try {
                    return opsUser.resolveBlocking("orders-eu", 5).isEmpty();
                } catch (PoolkeeperException e) {
                    return e.errorCause() == ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE;
                }
            });
        }
        ClientLibraryTest.eventually("the refusals are logged", Duration.ofSeconds(5),
                () -> registrar.stderr().lines().filter(l -> l.contains("denied: ")).count() >= 5);
    }

    @Test
    void aWrongTokenIsRefusedWithItsReason() {
        NoRegistrarReachableException e = assertThrows(NoRegistrarReachableException.class, () -> {
            try (PoolUserClient pu = PoolUserClient.create(settings(false).withToken("not-the-token"))) {
                pu.resolveBlocking("orders-eu", 1);
            }
        });
        assertTrue(e.getMessage().contains("refused this client's token"), e::getMessage);
    }

    @Test
    void aConnectionGetsThreeTriesAtATokenThenNoneIsChecked() throws Exception {
        TlsMaterial tls = TlsMaterial.load(null, null, null, dir.resolve("ca.pem"));
        try (java.net.Socket plain = new java.net.Socket("127.0.0.1", registrar.asap().port());
             java.net.Socket s = tls.clientSocket(plain, "127.0.0.1", registrar.asap().port())) {
            s.setSoTimeout(5000);
            java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
            java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
            List<String> answers = new ArrayList<>();
            String[] tokens = {"guess-1", "guess-2", "guess-3", TOKEN};
            for (int i = 0; i < tokens.length; i++) {
                byte[] frame = org.poolkeeper.protocol.wire.AsapMessage.newBuilder().setAuthenticate(
                        org.poolkeeper.protocol.wire.Authenticate.newBuilder().setRequestId(100 + i).setToken(
                                com.google.protobuf.ByteString.copyFromUtf8(tokens[i]))).build().toByteArray();
                out.writeInt(frame.length);
                out.write(frame);
                out.flush();
                while (true) {
                    byte[] payload = new byte[in.readInt()];
                    in.readFully(payload);
                    org.poolkeeper.protocol.wire.AsapMessage m = org.poolkeeper.protocol.wire.AsapMessage
                            .parseFrom(payload);
                    if (m.hasError() && m.getError().getRequestId() == 100 + i) {
                        answers.add(m.getError().getDetail());
                        break;
                    }
                    if (m.hasAuthenticateResponse()) {
                        answers.add("accepted");
                        break;
                    }
                }
            }
            assertEquals(4, answers.size(), answers::toString);
            assertTrue(answers.get(3).contains("tokens were refused on this connection"),
                    () -> "the right token after three wrong ones is not checked: " + answers);
        }
        try (PoolElementClient fresh = PoolElementClient.create(settings(false).withToken(TOKEN))) {
            assertTrue(fresh.registerBlocking(pe("orders-retry", 9309)).peId() != 0, "a new connection may try again");
        }
    }

    @Test
    void theCommandLineShowsWhatTheRulesAllow() throws Exception {
        String ca = dir.resolve("ca.pem").toString();
        Programs.Run denied = run("--tls-ca", ca, "dump");
        assertEquals(1, denied.status(), denied::toString);
        assertTrue(denied.stderr().get(0).contains("security"), denied::toString);

        Programs.Run ops = run("--tls-ca", ca, "--tls-cert", dir.resolve("ops.pem").toString(), "--tls-key",
                dir.resolve("ops-key.pem").toString(), "dump");
        assertEquals(0, ops.status(), ops::toString);

        Programs.Run badToken = run("--tls-ca", ca, "--token", "wrong", "resolve", "orders-eu");
        assertEquals(1, badToken.status(), badToken::toString);
        assertTrue(badToken.stderr().get(0).contains("refused the token"), badToken::toString);
    }

    private static Programs.Run run(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("-r", registrar.registrars()));
        all.addAll(List.of(args));
        return Programs.run("poolkeeper", all);
    }
}
