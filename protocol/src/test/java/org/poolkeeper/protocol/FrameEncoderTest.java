package org.poolkeeper.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.AsapMessage;

class FrameEncoderTest {

  @Test
  void prefixesThePayloadWithItsBigEndianLength() throws Exception {
    byte[] payload = new byte[0x0102];
    Arrays.fill(payload, (byte) 0xAB);
    byte[] frame = new FrameEncoder().encode(payload);
    assertEquals(4 + 0x0102, frame.length);
    assertArrayEquals(new byte[] {0, 0, 1, 2}, Arrays.copyOf(frame, 4));
    assertArrayEquals(payload, Arrays.copyOfRange(frame, 4, frame.length));
  }

  @Test
  void encodesAnEmptyPayloadAsAZeroLengthFrame() throws Exception {
    assertArrayEquals(new byte[] {0, 0, 0, 0}, new FrameEncoder().encode(new byte[0]));
  }

  @Test
  void serializesAMessageInPlaceExactlyAsItsPayload() throws Exception {
    FrameEncoder encoder = new FrameEncoder();
    for (AsapMessage message : SampleMessages.asapMessages()) {
      assertArrayEquals(encoder.encode(message.toByteArray()), encoder.encode(message));
    }
  }

  @Test
  void refusesPayloadsAboveTheMaximumFrameLength() throws Exception {
    FrameEncoder encoder = new FrameEncoder(10);
    assertEquals(14, encoder.encode(new byte[10]).length);
    FrameTooLargeException e =
        assertThrows(FrameTooLargeException.class, () -> encoder.encode(new byte[11]));
    assertEquals(11, e.length());
    AsapMessage big = SampleMessages.largestAsapMessage();
    assertThrows(FrameTooLargeException.class, () -> encoder.encode(big));
  }

  @Test
  void framesDecodeBackToTheirPayloads() {
    Seeded.run(
        random -> {
          FrameEncoder encoder = new FrameEncoder(4096);
          FrameDecoder decoder = new FrameDecoder(4096);
          for (int i = 0; i < 200; i++) {
            byte[] payload = new byte[random.nextInt(4097)];
            random.nextBytes(payload);
            List<byte[]> frames = decoder.feed(encoder.encode(payload));
            assertEquals(1, frames.size());
            assertArrayEquals(payload, frames.get(0));
          }
        });
  }
}
