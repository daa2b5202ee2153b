package org.poolkeeper.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.EnrpMessage;

/** Every message type through the plain codec: serialize, frame, split, reassemble, parse. */
class MessageRoundTripTest {

  @Test
  void theSamplesCoverEveryAsapBodyType() {
    Set<AsapMessage.BodyCase> expected = EnumSet.allOf(AsapMessage.BodyCase.class);
    expected.remove(AsapMessage.BodyCase.BODY_NOT_SET);
    assertEquals(
        expected,
        SampleMessages.asapMessages().stream()
            .map(AsapMessage::getBodyCase)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(AsapMessage.BodyCase.class))));
  }

  @Test
  void theSamplesCoverEveryEnrpBodyType() {
    Set<EnrpMessage.BodyCase> expected = EnumSet.allOf(EnrpMessage.BodyCase.class);
    expected.remove(EnrpMessage.BodyCase.BODY_NOT_SET);
    assertEquals(
        expected,
        SampleMessages.enrpMessages().stream()
            .map(EnrpMessage::getBodyCase)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(EnrpMessage.BodyCase.class))));
  }

  @Test
  void everyAsapMessageSurvivesEncodeFrameAndDecode() throws Exception {
    List<AsapMessage> sent = SampleMessages.asapMessages();
    List<AsapMessage> received = new ArrayList<>();
    for (byte[] payload : reassemble(sent)) {
      received.add(Expect.ok(WireCodec.decodeAsap(payload)));
    }
    assertEquals(sent, received);
  }

  @Test
  void everyEnrpMessageSurvivesEncodeFrameAndDecode() throws Exception {
    List<EnrpMessage> sent = SampleMessages.enrpMessages();
    List<EnrpMessage> received = new ArrayList<>();
    for (byte[] payload : reassemble(sent)) {
      received.add(Expect.ok(WireCodec.decodeEnrp(payload)));
    }
    assertEquals(sent, received);
  }

  /** Frames all messages into one stream, then decodes it fed in 7-byte chunks. */
  private static List<byte[]> reassemble(List<? extends com.google.protobuf.MessageLite> messages)
      throws FrameException {
    FrameEncoder encoder = new FrameEncoder();
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    for (com.google.protobuf.MessageLite message : messages) {
      wire.writeBytes(encoder.encode(message));
    }
    byte[] bytes = wire.toByteArray();
    FrameDecoder decoder = new FrameDecoder();
    List<byte[]> payloads = new ArrayList<>();
    for (int from = 0; from < bytes.length; from += 7) {
      decoder.feed(bytes, from, Math.min(7, bytes.length - from), payloads::add);
    }
    decoder.finish();
    return payloads;
  }
}
