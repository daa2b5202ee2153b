package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import org.poolkeeper.protocol.tls.TlsMaterial;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.tools.tls.Certificates;

/**
 * A registrar process whose client port requires mutual TLS, with certificates made for the test: a client with a
 * certificate of the cluster's CA registers and resolves through the real client library and the CLI; a plaintext
 * client, one trusting another CA, one without a certificate and one with an expired certificate are refused
 * with a clear reason on both sides, and the registrar serves on.
 */
class TlsClientPortTest {
    private static Path dir;
    private static RegistrarProcess registrar;
    private static Certificates.Issued ca;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("poolkeeper-tls");
        // the CA and the certificates as an operator makes them, with 'poolkeeper tls'
        for (List<String> args : List.of(List.of("tls", "ca", "--dir", dir.toString()),
                List.of("tls", "cert", "registrar", "--dir", dir.toString(), "--san", "127.0.0.1"),
                List.of("tls", "cert", "ops", "--dir", dir.toString()))) {
            Programs.Run made = Programs.run("poolkeeper", args);
            assertEquals(0, made.status(), made::toString);
        }
        Programs.Run again = Programs.run("poolkeeper", List.of("tls", "cert", "ops", "--dir", dir.toString()));
        assertEquals(1, again.status(), "an existing certificate is not overwritten: " + again);
        assertTrue(again.stderr().get(0).contains("exists"), again::toString);
        ca = Certificates.read(dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));
        registrar = RegistrarProcess.start(0x715, List.of(),
                "poolkeeper.registrar.tls.enabled=on",
                "poolkeeper.registrar.tls.certificate=" + dir.resolve("registrar.pem"),
                "poolkeeper.registrar.tls.private-key=" + dir.resolve("registrar-key.pem"),
                "poolkeeper.registrar.tls.trusted-certificates=" + dir.resolve("ca.pem"),
                "poolkeeper.registrar.tls.client-auth=required",
                // every failed handshake is logged here (5 a second by default): the test counts them
                "poolkeeper.registrar.bad-input-log-lines-per-second=1000");
    }

    @AfterAll
    static void stop() {
        if (registrar != null) {
            registrar.close();
        }
    }

    private static TlsMaterial client(String name) {
        return TlsMaterial.load(dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"), null,
                dir.resolve("ca.pem"));
    }

    private static ClientSettings settings(TlsMaterial tls) {
        return ClientSettings.of(registrar.asap()).withTls(tls);
    }

    @Test
    void aClientWithTheClustersCertificateRegistersAndResolves() throws Exception {
        try (PoolElementClient pe = PoolElementClient.create(settings(client("ops")));
             PoolUserClient pu = PoolUserClient.create(settings(client("ops")))) {
            int id = pe.registerBlocking(PoolElementSpec.builder("tls-pool", Policy.ROUND_ROBIN)
                    .address(new InetSocketAddress("127.0.0.1", 9100)).build()).peId();
            assertEquals(id, pu.resolveBlocking("tls-pool", 1).get(0).peId());
        }
    }

    @Test
    void aPlaintextClientGetsOneErrorSayingTheProtocolAndTheNodeServesOn() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", registrar.asap().port()), 2000);
            s.setSoTimeout(5000);
            // an ASAP frame (a 4-byte length, then protobuf) where a TLS ClientHello was expected
            s.getOutputStream().write(new byte[] {0, 0, 0, 2, 0x08, 0x01});
            DataInputStream in = new DataInputStream(s.getInputStream());
            int length = in.readInt();
            byte[] frame = new byte[length];
            in.readFully(frame);
            AsapMessage m = AsapMessage.parseFrom(frame);
            assertEquals(ErrorCause.ERROR_CAUSE_REJECTED_DUE_TO_SECURITY_CONSIDERATIONS, m.getError().getCause());
            assertTrue(m.getError().getDetail().contains("TLS"), m::toString);
            assertEquals(-1, in.read(), "closed after the error");
        }
        aClientWithTheClustersCertificateRegistersAndResolves();
    }

    @Test
    void handshakeFailuresAreNamedOnBothSidesAndTheNodeServesOn() throws Exception {
        Instant now = Instant.now();
        Certificates.Issued otherCa = Certificates.authority("other-ca", now.minusSeconds(60), now.plusSeconds(3600));
        Certificates.write(otherCa, dir.resolve("other-ca.pem"), dir.resolve("other-ca-key.pem"));
        Certificates.write(Certificates.issue(ca, "expired", List.of(), now.minusSeconds(7200),
                now.minusSeconds(3600)), dir.resolve("expired.pem"), dir.resolve("expired-key.pem"));
        Certificates.write(Certificates.issue(otherCa, "stranger", List.of(), now.minusSeconds(60),
                now.plusSeconds(3600)), dir.resolve("stranger.pem"), dir.resolve("stranger-key.pem"));
        int loggedBefore = handshakeLines();

        // the client does not trust the registrar: its certificate is of a CA the client does not know
        assertRefused(TlsMaterial.load(dir.resolve("ops.pem"), dir.resolve("ops-key.pem"), null,
                dir.resolve("other-ca.pem")), "PKIX");
        // the registrar does not trust the client: no certificate, an expired one, one of another CA
        assertRefused(TlsMaterial.load(null, null, null, dir.resolve("ca.pem")), "TLS handshake");
        assertRefused(client("expired"), "TLS handshake");
        assertRefused(client("stranger"), "TLS handshake");

        ClientLibraryTest.eventually("the registrar's log names the failed handshakes", Duration.ofSeconds(10),
                () -> handshakeLines() >= loggedBefore + 3);
        assertTrue(registrar.stderr().lines().noneMatch(l -> l.contains(" ERROR ") || l.startsWith("\tat ")),
                registrar::stderr);
        aClientWithTheClustersCertificateRegistersAndResolves();
    }

    @Test
    void theCommandLineSpeaksTlsWithItsOptionsAndExplainsTheRefusalWithout() throws Exception {
        Programs.Run ok = run("--tls-ca", dir.resolve("ca.pem").toString(), "--tls-cert", dir.resolve("ops.pem").toString(),
                "--tls-key", dir.resolve("ops-key.pem").toString(), "status");
        assertEquals(0, ok.status(), ok::toString);
        assertTrue(ok.stdout().get(1).startsWith("0x00000715"), ok::toString);

        Programs.Run plain = run("status");
        assertEquals(1, plain.status(), plain::toString);
        assertTrue(String.join("\n", plain.stdout()).contains("TLS only"), plain::toString);

        Programs.Run noCert = run("--tls-ca", dir.resolve("ca.pem").toString(), "resolve", "tls-pool");
        assertEquals(1, noCert.status(), noCert::toString);
        assertEquals(1, noCert.stderr().size(), noCert::toString);
        assertTrue(noCert.stderr().get(0).contains("TLS handshake"), noCert::toString);
    }

    private static void assertRefused(TlsMaterial tls, String reason) {
        NoRegistrarReachableException e = assertThrows(NoRegistrarReachableException.class, () -> {
            try (PoolUserClient pu = PoolUserClient.create(settings(tls))) {
                pu.resolveBlocking("tls-pool", 1);
            }
        });
        assertTrue(e.getMessage().contains(reason), e::getMessage);
    }

    private static int handshakeLines() {
        return (int) registrar.stderr().lines().filter(l -> l.contains("TLS failed")).count();
    }

    private static Programs.Run run(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("-r", registrar.registrars()));
        all.addAll(List.of(args));
        return Programs.run("poolkeeper", all);
    }
}
