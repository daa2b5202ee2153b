package org.poolkeeper.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsAndSpecTest {

    @Test
    void parsesRegistrarAddresses() {
        assertEquals(new RegistrarAddress("10.0.0.1", 9901), RegistrarAddress.parse("10.0.0.1:9901"));
        assertEquals(new RegistrarAddress("::1", 9901), RegistrarAddress.parse("[::1]:9901"));
        assertEquals(List.of(new RegistrarAddress("a", 1), new RegistrarAddress("b", 2)),
                RegistrarAddress.parseList("a:1, b:2"));
        assertEquals("[::1]:9901", new RegistrarAddress("::1", 9901).toString());
        for (String bad : new String[] {"nohost", ":1", "host:", "host:x", "host:0", "host:65536"}) {
            assertThrows(IllegalArgumentException.class, () -> RegistrarAddress.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> RegistrarAddress.parseList(" , "));
    }

    @Test
    void settingsComeFromTheClientsReferenceConfAndItsOverrides() {
        ClientSettings defaults = ClientSettings.load();
        assertEquals(ClientSettings.of(new RegistrarAddress("127.0.0.1", 3863)), defaults,
                "reference.conf gives what ClientSettings.of gives");
        ClientSettings custom = ClientSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString("""
                poolkeeper.client {
                  registrars = ["10.0.0.1:3863", "[2001:db8::1]:4000"]
                  request-timeout = 750 ms
                  cache-stale-timeout = 3 s
                }
                """).withFallback(com.typesafe.config.ConfigFactory.load()));
        assertEquals(List.of(new RegistrarAddress("10.0.0.1", 3863), new RegistrarAddress("2001:db8::1", 4000)),
                custom.registrars());
        assertEquals(Duration.ofMillis(750), custom.requestTimeout());
        assertEquals(Duration.ofSeconds(3), custom.cacheStaleTimeout());
        assertEquals(Duration.ofSeconds(1), custom.connectTimeout(), "the rest from reference.conf");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ClientSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("poolkeeper.client.registrars = [\"nohost\"]")
                        .withFallback(com.typesafe.config.ConfigFactory.load())));
        assertTrue(bad.getMessage().startsWith("poolkeeper.client: "), bad.getMessage());
    }

    @Test
    void specDefaultsToReregisteringEveryThirdOfTheLife() {
        PoolElementSpec spec = PoolElementSpec.builder("p", Policy.LEAST_USED)
                .address(new InetSocketAddress("127.0.0.1", 80))
                .registrationLife(Duration.ofSeconds(9)).build();
        assertEquals(Duration.ofSeconds(3), spec.effectiveReregistrationInterval());
        assertEquals(Duration.ofMillis(500), PoolElementSpec.builder("p", Policy.LEAST_USED)
                .address(new InetSocketAddress("127.0.0.1", 80)).reregistrationEvery(Duration.ofMillis(500))
                .build().effectiveReregistrationInterval());
    }

    @Test
    void specRejectsWhatNoRegistrarWouldAccept() {
        assertThrows(IllegalArgumentException.class, () -> PoolElementSpec.builder("p", Policy.RANDOM).build(),
                "no address");
        assertThrows(IllegalArgumentException.class, () -> PoolElementSpec.builder("p", Policy.RANDOM)
                .address(InetSocketAddress.createUnresolved("example.org", 80)).build());
        assertThrows(IllegalArgumentException.class, () -> PoolElementSpec.builder("p", Policy.RANDOM)
                .address(new InetSocketAddress("127.0.0.1", 80)).registrationLife(Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class, () -> ClientSettings.of(List.of()));
    }

    @Test
    void policiesMapToTheirWireCodes() {
        assertEquals(Policy.LEAST_USED, Policy.fromCode(0x40000001));
        assertEquals(Policy.WEIGHTED_RANDOM, Policy.fromShortName("wrand"));
        assertEquals(null, Policy.fromCode(0x77));
    }
}
