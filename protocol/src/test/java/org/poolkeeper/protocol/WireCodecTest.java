package org.poolkeeper.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;

class WireCodecTest {

  @Test
  void anEmptyPayloadIsAnUnrecognizedMessage() {
    Decoded.Malformed<?> malformed = Expect.malformed(WireCodec.decodeAsap(new byte[0]));
    assertEquals(ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE, malformed.cause());
    assertEquals("empty frame", malformed.reason());
    assertTrue(malformed.offending().isEmpty());
  }

  @Test
  void aMessageWithOnlyAnUnknownBodyIsAnUnrecognizedMessage() {
    // field 99, varint 1: what a newer peer's message type would look like to this side
    byte[] fromNewerPeer = {(byte) 0x98, 0x06, 0x01};
    Decoded.Malformed<?> malformed = Expect.malformed(WireCodec.decodeAsap(fromNewerPeer));
    assertEquals(ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE, malformed.cause());
    assertEquals(ByteString.copyFrom(fromNewerPeer), malformed.offending());

    Decoded.Malformed<?> enrp = Expect.malformed(WireCodec.decodeEnrp(fromNewerPeer));
    assertEquals(ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE, enrp.cause());
  }

  @Test
  void invalidProtobufIsInvalidValues() {
    byte[] notProtobuf = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    Decoded.Malformed<?> malformed = Expect.malformed(WireCodec.decodeAsap(notProtobuf));
    assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, malformed.cause());
    assertTrue(malformed.reason().startsWith("undecodable payload of 4 bytes"), malformed.reason());
  }

  @Test
  void aTruncatedMessageIsInvalidValues() {
    byte[] whole = SampleMessages.largestAsapMessage().toByteArray();
    byte[] cut = Arrays.copyOf(whole, whole.length / 2);
    Decoded.Malformed<?> malformed = Expect.malformed(WireCodec.decodeAsap(cut));
    assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, malformed.cause());
  }

  @Test
  void quotesAtMostTheFirst64BytesOfAnOffendingPayload() {
    byte[] payload = new byte[500];
    Arrays.fill(payload, (byte) 0xFF);
    Decoded.Malformed<?> malformed = Expect.malformed(WireCodec.decodeEnrp(payload));
    assertEquals(WireCodec.OFFENDING_PREFIX_LENGTH, malformed.offending().size());
    assertEquals(ByteString.copyFrom(payload, 0, 64), malformed.offending());
  }

  @Test
  void theErrorReplyCarriesCauseReasonAndOffendingBytesWithRequestIdZero() {
    byte[] notProtobuf = {(byte) 0xFF, 0x01};
    Decoded.Malformed<?> malformed = Expect.malformed(WireCodec.decodeAsap(notProtobuf));
    AsapMessage reply = WireCodec.errorReply(malformed);
    assertEquals(AsapMessage.BodyCase.ERROR, reply.getBodyCase());
    assertEquals(0, reply.getError().getRequestId());
    assertEquals(ErrorCause.ERROR_CAUSE_INVALID_VALUES, reply.getError().getCause());
    assertEquals(malformed.reason(), reply.getError().getDetail());
    assertEquals(ByteString.copyFrom(notProtobuf), reply.getError().getOffending());
  }

  @Test
  void randomGarbageNeverThrows() {
    Seeded.run(
        random -> {
          byte[] valid = SampleMessages.largestAsapMessage().toByteArray();
          for (int i = 0; i < 5000; i++) {
            byte[] garbage;
            if (random.nextBoolean()) {
              garbage = new byte[random.nextInt(300)];
              random.nextBytes(garbage);
            } else {
              garbage = Arrays.copyOf(valid, random.nextInt(valid.length + 1));
              for (int flips = 1 + random.nextInt(4); flips > 0 && garbage.length > 0; flips--) {
                garbage[random.nextInt(garbage.length)] = (byte) random.nextInt(256);
              }
            }
            // each call returns Ok or Malformed; an exception fails the test
            assertInstanceOf(Decoded.class, WireCodec.decodeAsap(garbage));
            assertInstanceOf(Decoded.class, WireCodec.decodeEnrp(garbage));
          }
        });
  }
}
