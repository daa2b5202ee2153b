package org.poolkeeper.registrar.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The connection's write coalescing: every byte in order, fewer elements under a burst, none held back. */
class WriteCoalescerTest {
    private static ActorSystem system;

    @BeforeAll
    static void start() {
        system = ActorSystem.create("coalescer-test");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    private static List<ByteString> frames(int n) {
        return IntStream.range(0, n).mapToObj(i -> ByteString.fromArrayUnsafe(new byte[] {
                (byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i})).toList();
    }

    private static List<ByteString> run(Source<ByteString, ?> source, int maxBytes) throws Exception {
        return source.via(new WriteCoalescer(maxBytes)).runWith(Sink.seq(), system)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static ByteString concat(List<ByteString> parts) {
        return parts.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
    }

    @Test
    void aBurstArrivesWholeAndInOrderInFarFewerElements() throws Exception {
        List<ByteString> in = frames(5_000);
        List<ByteString> out = run(Source.from(in), 64 * 1024);
        assertEquals(concat(in), concat(out));
        assertTrue(out.size() < 100, "5,000 frames pushed at once left as " + out.size() + " elements");
    }

    @Test
    void aLoneFrameLeavesWithoutWaitingForMore() throws Exception {
        // upstream stays open: nothing but the stage's own flush can send the frame on
        CompletableFuture<ByteString> first = Source.single(ByteString.fromString("hello"))
                .concat(Source.never())
                .via(new WriteCoalescer(64 * 1024))
                .runWith(Sink.head(), system).toCompletableFuture();
        assertEquals(ByteString.fromString("hello"), first.get(5, TimeUnit.SECONDS));
    }

    @Test
    void holdsAtMostMaxBytesPlusOneFrameAndBackpressuresBeyond() throws Exception {
        List<ByteString> in = frames(2_000);
        List<ByteString> out = run(Source.from(in), 10);
        assertEquals(concat(in), concat(out));
        // it stops taking frames once 10 bytes are held: an element is at most 9 bytes plus one 4-byte frame
        assertTrue(out.stream().allMatch(b -> b.size() <= 13),
                "largest element " + out.stream().mapToInt(ByteString::size).max().orElse(0) + " bytes");
    }

    @Test
    void aSlowDownstreamGetsEverythingMergedAndNothingLost() throws Exception {
        List<ByteString> in = frames(3_000);
        List<ByteString> out = Source.from(in)
                .via(Flow.<ByteString>create().throttle(300, Duration.ofMillis(100))) // a producer over time
                .via(new WriteCoalescer(64 * 1024))
                .throttle(20, Duration.ofMillis(100)) // a consumer slower than that
                .runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(concat(in), concat(out));
        assertTrue(out.size() < in.size() / 5, out.size() + " elements for " + in.size() + " frames");
    }

    @Test
    void anUpstreamFailureFailsTheStream() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> run(
                Source.from(frames(10)).concat(Source.failed(new IllegalStateException("broken connection"))),
                64 * 1024));
        assertEquals("broken connection", e.getCause().getMessage());
    }

    @Test
    void refusesANonPositiveLimit() {
        assertThrows(IllegalArgumentException.class, () -> new WriteCoalescer(0));
    }
}
