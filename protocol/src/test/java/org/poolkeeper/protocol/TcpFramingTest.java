package org.poolkeeper.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * The Pekko Streams framing, run for real: what one side sends goes through the top direction,
 * the wire bytes are re-cut as TCP may cut them, and come back through the bottom direction.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
// One instance for the class: the extension shuts down only the test kit of the last instance.
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TcpFramingTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @JUnit5TestKit public ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  private <T> List<T> await(CompletionStage<List<T>> result) throws Exception {
    return result.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private Throwable awaitFailure(CompletionStage<?> result) {
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> result.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    return e.getCause();
  }

  /** Collects all wire bytes, then re-emits them cut at the given offsets. */
  private static Flow<ByteString, ByteString, NotUsed> recut(int... cuts) {
    return Flow.<ByteString>create()
        .fold(ByteString.emptyByteString(), ByteString::concat)
        .mapConcat(all -> cut(all, cuts));
  }

  private static List<ByteString> cut(ByteString all, int... cuts) {
    List<ByteString> chunks = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      chunks.add(all.slice(from, cut));
      from = cut;
    }
    chunks.add(all.drop(from));
    return chunks;
  }

  /** Runs {@code sent} through the top direction, the wire, and the bottom direction. */
  private <O, I> CompletionStage<List<I>> loop(
      BidiFlow<O, ByteString, ByteString, I, NotUsed> protocol,
      List<O> sent,
      Flow<ByteString, ByteString, NotUsed> wire) {
    return Source.from(sent).via(protocol.join(wire)).runWith(Sink.seq(), testKit.system());
  }

  /** Feeds raw wire bytes into the bottom direction; the top direction sends nothing. */
  private <O, I> CompletionStage<List<I>> receive(
      BidiFlow<O, ByteString, ByteString, I, NotUsed> protocol, List<ByteString> wireChunks) {
    Flow<ByteString, ByteString, NotUsed> wire =
        Flow.fromSinkAndSource(Sink.ignore(), Source.from(wireChunks));
    return Source.<O>empty().via(protocol.join(wire)).runWith(Sink.seq(), testKit.system());
  }

  private static int wireLength(List<AsapMessage> messages) {
    return messages.stream().mapToInt(m -> 4 + m.getSerializedSize()).sum();
  }

  private static List<Decoded<AsapMessage>> ok(List<AsapMessage> messages) {
    List<Decoded<AsapMessage>> out = new ArrayList<>();
    messages.forEach(m -> out.add(new Decoded.Ok<>(m)));
    return out;
  }

  @Test
  void framesSplitAtAnyByteBoundaryReassemble() throws Exception {
    List<AsapMessage> sent = SampleMessages.asapMessages().subList(0, 4);
    int length = wireLength(sent);
    for (int cut = 0; cut <= length; cut++) {
      assertEquals(
          ok(sent),
          await(loop(TcpFraming.asap(FrameDecoder.DEFAULT_MAX_FRAME_LENGTH), sent, recut(cut))),
          "cut at " + cut);
    }
  }

  @Test
  void framesArrivingOneByteAtATimeReassemble() throws Exception {
    List<AsapMessage> sent = SampleMessages.asapMessages();
    int[] everyByte = new int[wireLength(sent) - 1];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = i + 1;
    }
    assertEquals(ok(sent), await(loop(TcpFraming.asap(65536), sent, recut(everyByte))));
  }

  @Test
  void everyAsapMessageSurvivesThePekkoFraming() throws Exception {
    List<AsapMessage> sent = SampleMessages.asapMessages();
    assertEquals(ok(sent), await(loop(TcpFraming.asap(65536), sent, recut())));
  }

  @Test
  void everyEnrpMessageSurvivesThePekkoFraming() throws Exception {
    List<EnrpMessage> sent = SampleMessages.enrpMessages();
    List<Decoded<EnrpMessage>> expected = new ArrayList<>();
    sent.forEach(m -> expected.add(new Decoded.Ok<>(m)));
    assertEquals(expected, await(loop(TcpFraming.enrp(65536), sent, recut(5, 300, 301))));
  }

  @Test
  void aReceivedFrameAboveTheMaximumFailsTheStreamWithAFramingException() {
    ByteString oversized =
        ByteString.fromArray(new byte[] {0, 0, 4, 1}).concat(ByteString.fromArray(new byte[1025]));
    Throwable failure = awaitFailure(receive(TcpFraming.asap(1024), List.of(oversized)));
    assertInstanceOf(org.apache.pekko.stream.scaladsl.Framing.FramingException.class, failure);
  }

  @Test
  void aLengthPrefixOfTwoToThe31OrMoreFailsTheStreamWithAFramingException() {
    ByteString header = ByteString.fromArray(new byte[] {(byte) 0x80, 0, 0, 0});
    Throwable failure = awaitFailure(receive(TcpFraming.asap(65536), List.of(header)));
    assertInstanceOf(org.apache.pekko.stream.scaladsl.Framing.FramingException.class, failure);
  }

  @Test
  void aFrameOfExactlyTheMaximumIsAccepted() throws Exception {
    byte[] payload = new byte[1024];
    ByteString frame = ByteString.fromArray(new FrameEncoder(1024).encode(payload));
    List<ByteString> frames = await(receive(TcpFraming.frames(1024), List.of(frame)));
    assertEquals(List.of(ByteString.fromArray(payload)), frames);
  }

  @Test
  void sendingAMessageAboveTheMaximumFailsTheStreamWithAFramingException() {
    AsapMessage big = SampleMessages.largestAsapMessage();
    Throwable failure =
        awaitFailure(loop(TcpFraming.asap(big.getSerializedSize() - 1), List.of(big), recut()));
    assertInstanceOf(org.apache.pekko.stream.scaladsl.Framing.FramingException.class, failure);
  }

  @Test
  void aNonProtobufPayloadDecodesToMalformedAndTheStreamGoesOn() throws Exception {
    AsapMessage valid = SampleMessages.asapMessages().get(0);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    FrameEncoder encoder = new FrameEncoder();
    wire.writeBytes(encoder.encode(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}));
    wire.writeBytes(encoder.encode(new byte[0]));
    wire.writeBytes(encoder.encode(valid));

    List<Decoded<AsapMessage>> received =
        await(receive(TcpFraming.asap(65536), List.of(ByteString.fromArray(wire.toByteArray()))));

    assertEquals(3, received.size());
    assertEquals(
        ErrorCause.ERROR_CAUSE_INVALID_VALUES, Expect.malformed(received.get(0)).cause());
    assertEquals(
        ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE, Expect.malformed(received.get(1)).cause());
    assertEquals(valid, Expect.ok(received.get(2)));
  }

  @Test
  void framesFromThePlainEncoderDecodeInPekko() throws Exception {
    List<AsapMessage> sent = SampleMessages.asapMessages();
    ByteArrayOutputStream plainWire = new ByteArrayOutputStream();
    for (AsapMessage message : sent) {
      plainWire.writeBytes(new FrameEncoder().encode(message));
    }
    List<ByteString> chunks = cut(ByteString.fromArray(plainWire.toByteArray()), 3, 100, 101);
    assertEquals(ok(sent), await(receive(TcpFraming.asap(65536), chunks)));
  }

  @Test
  void framesFromPekkoDecodeInThePlainDecoder() throws Exception {
    List<AsapMessage> sent = SampleMessages.asapMessages();
    Flow<ByteString, ByteString, CompletionStage<List<ByteString>>> captureWire =
        Flow.fromSinkAndSourceMat(Sink.seq(), Source.empty(), Keep.left());
    List<ByteString> wire =
        await(
            Source.from(sent)
                .viaMat(TcpFraming.asap(65536).join(captureWire, Keep.right()), Keep.right())
                .to(Sink.ignore())
                .run(testKit.system()));

    FrameDecoder decoder = new FrameDecoder();
    List<AsapMessage> received = new ArrayList<>();
    for (ByteString chunk : wire) {
      decoder.feed(chunk.asByteBuffer(), p -> received.add(Expect.ok(WireCodec.decodeAsap(p))));
    }
    decoder.finish();
    assertEquals(sent, received);
  }

  @Test
  void theMaximumFrameLengthDefaultsTo64KiBInTheModuleConfiguration() {
    assertEquals(65536, TcpFraming.maxFrameLength(testKit.system().settings().config()));
    assertEquals(
        1000,
        TcpFraming.maxFrameLength(
            ConfigFactory.parseString(TcpFraming.MAX_FRAME_LENGTH_KEY + " = 1000")));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            TcpFraming.maxFrameLength(
                ConfigFactory.parseString(TcpFraming.MAX_FRAME_LENGTH_KEY + " = 2 GiB")));
  }
}
