package org.poolkeeper.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

  /** Payloads of assorted sizes, an empty one among them. */
  private static final List<byte[]> PAYLOADS =
      List.of(
          "registration".getBytes(StandardCharsets.US_ASCII),
          new byte[0],
          new byte[] {(byte) 0xFF},
          filled(300, 7),
          "resolution".getBytes(StandardCharsets.US_ASCII));

  private static byte[] filled(int length, int seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] frame(byte[] payload) throws FrameTooLargeException {
    return new FrameEncoder().encode(payload);
  }

  private static byte[] header(long length) {
    return new byte[] {
      (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length
    };
  }

  private static byte[] stream(List<byte[]> payloads) throws FrameTooLargeException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] payload : payloads) {
      out.writeBytes(frame(payload));
    }
    return out.toByteArray();
  }

  /** Feeds {@code bytes} cut at the given ascending offsets, then ends the stream. */
  private static List<byte[]> decode(FrameDecoder decoder, byte[] bytes, int... cuts)
      throws FrameException {
    List<byte[]> frames = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      decoder.feed(bytes, from, cut - from, frames::add);
      from = cut;
    }
    decoder.feed(bytes, from, bytes.length - from, frames::add);
    decoder.finish();
    return frames;
  }

  private static void assertFrames(List<byte[]> expected, List<byte[]> actual, String context) {
    assertEquals(expected.size(), actual.size(), "frame count, " + context);
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), "frame " + i + ", " + context);
    }
  }

  @Test
  void yieldsExactlyTheFramesWhenTheStreamIsSplitAtAnyByteBoundary() throws Exception {
    byte[] bytes = stream(PAYLOADS);
    for (int cut = 0; cut <= bytes.length; cut++) {
      assertFrames(PAYLOADS, decode(new FrameDecoder(), bytes, cut), "cut at " + cut);
    }
  }

  @Test
  void yieldsExactlyTheFramesWhenTheStreamIsSplitAtAnyTwoByteBoundaries() throws Exception {
    List<byte[]> payloads = List.of(PAYLOADS.get(0), PAYLOADS.get(1), PAYLOADS.get(2));
    byte[] bytes = stream(payloads);
    for (int first = 0; first <= bytes.length; first++) {
      for (int second = first; second <= bytes.length; second++) {
        assertFrames(
            payloads,
            decode(new FrameDecoder(), bytes, first, second),
            "cuts at " + first + " and " + second);
      }
    }
  }

  @Test
  void yieldsExactlyTheFramesWhenFedOneByteAtATime() throws Exception {
    byte[] bytes = stream(PAYLOADS);
    FrameDecoder decoder = new FrameDecoder();
    List<byte[]> frames = new ArrayList<>();
    for (byte b : bytes) {
      frames.addAll(decoder.feed(new byte[] {b}));
    }
    decoder.finish();
    assertFrames(PAYLOADS, frames, "one byte at a time");
  }

  @Test
  void yieldsExactlyTheFramesWhenSplitIntoRandomChunks() {
    Seeded.run(
        random -> {
          byte[] bytes = stream(PAYLOADS);
          for (int round = 0; round < 500; round++) {
            int[] cuts = random.ints(random.nextInt(8), 0, bytes.length + 1).sorted().toArray();
            assertFrames(
                PAYLOADS, decode(new FrameDecoder(), bytes, cuts), Arrays.toString(cuts));
          }
        });
  }

  @Test
  void yieldsEveryFrameOfAChunkHoldingSeveral() throws Exception {
    assertFrames(PAYLOADS, new FrameDecoder().feed(stream(PAYLOADS)), "one chunk");
  }

  @Test
  void consumesTheBufferFromItsPositionToItsLimit() throws Exception {
    byte[] bytes = stream(PAYLOADS);
    byte[] padded = new byte[bytes.length + 10];
    System.arraycopy(bytes, 0, padded, 3, bytes.length);
    ByteBuffer input = ByteBuffer.wrap(padded, 3, bytes.length);
    List<byte[]> frames = new ArrayList<>();
    new FrameDecoder().feed(input, frames::add);
    assertFrames(PAYLOADS, frames, "offset buffer");
    assertEquals(3 + bytes.length, input.position());
  }

  @Test
  void zeroLengthFrameYieldsAnEmptyPayloadAndDecodingGoesOn() throws Exception {
    byte[] bytes = stream(List.of(new byte[0], new byte[0], new byte[] {5}));
    assertEquals(4 + 4 + 5, bytes.length);
    List<byte[]> frames = new FrameDecoder().feed(bytes);
    assertFrames(List.of(new byte[0], new byte[0], new byte[] {5}), frames, "empty frames");
  }

  @Test
  void rejectsAnOversizedLengthPrefixBeforeAnyPayloadArrives() {
    FrameDecoder decoder = new FrameDecoder(1000);
    FrameTooLargeException e =
        assertThrows(FrameTooLargeException.class, () -> decoder.feed(header(1001)));
    assertEquals(1001, e.length());
    assertEquals(1000, e.maxFrameLength());
    assertEquals(0, decoder.bufferedBytes());
  }

  @Test
  void readsTheLengthPrefixAsUnsigned() {
    FrameDecoder decoder = new FrameDecoder(FrameDecoder.MAX_SUPPORTED_FRAME_LENGTH);
    FrameTooLargeException e =
        assertThrows(FrameTooLargeException.class, () -> decoder.feed(header(0xFFFF_FFFFL)));
    assertEquals(0xFFFF_FFFFL, e.length());
  }

  @Test
  void rejectsAnOversizedLengthPrefixArrivingByteByByteOnItsLastByte() throws Exception {
    FrameDecoder decoder = new FrameDecoder(1000);
    byte[] prefix = header(70_000);
    for (int i = 0; i < 3; i++) {
      assertTrue(decoder.feed(new byte[] {prefix[i]}).isEmpty());
    }
    assertThrows(FrameTooLargeException.class, () -> decoder.feed(new byte[] {prefix[3]}));
  }

  @Test
  void deliversTheFramesBeforeAnOversizedOne() throws Exception {
    FrameDecoder decoder = new FrameDecoder(1000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(frame(new byte[] {1, 2}));
    out.writeBytes(header(5000));
    out.writeBytes(new byte[100]);
    List<byte[]> frames = new ArrayList<>();
    assertThrows(
        FrameTooLargeException.class,
        () -> decoder.feed(ByteBuffer.wrap(out.toByteArray()), frames::add));
    assertFrames(List.of(new byte[] {1, 2}), frames, "before the oversized frame");
  }

  @Test
  void staysFailedAfterAnOversizedFrame() throws Exception {
    FrameDecoder decoder = new FrameDecoder(1000);
    FrameTooLargeException first =
        assertThrows(FrameTooLargeException.class, () -> decoder.feed(header(1001)));
    byte[] next = frame(new byte[1]);
    assertSame(first, assertThrows(FrameTooLargeException.class, () -> decoder.feed(next)));
    assertSame(first, assertThrows(FrameTooLargeException.class, decoder::finish));
  }

  @Test
  void acceptsAFrameOfExactlyTheMaximumLength() throws Exception {
    byte[] payload = filled(1000, 1);
    List<byte[]> frames = new FrameDecoder(1000).feed(new FrameEncoder(1000).encode(payload));
    assertFrames(List.of(payload), frames, "maximum length");
  }

  @Test
  void maximumFrameLengthIsConfigurable() throws Exception {
    FrameDecoder decoder = new FrameDecoder(16);
    assertEquals(16, decoder.maxFrameLength());
    assertEquals(1, decoder.feed(frame(new byte[16])).size());
    assertThrows(FrameTooLargeException.class, () -> decoder.feed(header(17)));

    assertEquals(FrameDecoder.DEFAULT_MAX_FRAME_LENGTH, new FrameDecoder().maxFrameLength());
    assertEquals(65536, FrameDecoder.DEFAULT_MAX_FRAME_LENGTH);
    assertEquals(1, new FrameDecoder().feed(frame(new byte[65536])).size());
    assertThrows(FrameTooLargeException.class, () -> new FrameDecoder().feed(header(65537)));
  }

  @Test
  void refusesAMaximumFrameLengthOutsideTheSupportedRange() {
    assertThrows(IllegalArgumentException.class, () -> new FrameDecoder(0));
    assertThrows(IllegalArgumentException.class, () -> new FrameDecoder(-1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new FrameDecoder(FrameDecoder.MAX_SUPPORTED_FRAME_LENGTH + 1));
  }

  @Test
  void reportsAStreamEndingInsideAPayloadAsTruncatedWithoutEmittingIt() throws Exception {
    byte[] bytes = stream(List.of(new byte[] {9}, new byte[] {1, 2, 3, 4, 5}));
    FrameDecoder decoder = new FrameDecoder();
    List<byte[]> frames = decoder.feed(Arrays.copyOf(bytes, bytes.length - 1));
    assertFrames(List.of(new byte[] {9}), frames, "complete frames only");
    assertFalse(decoder.isAtFrameBoundary());
    TruncatedFrameException e = assertThrows(TruncatedFrameException.class, decoder::finish);
    assertEquals(4 + 4, e.bufferedBytes());
  }

  @Test
  void reportsAStreamEndingInsideALengthPrefixAsTruncated() throws Exception {
    FrameDecoder decoder = new FrameDecoder();
    assertTrue(decoder.feed(new byte[] {0, 0}).isEmpty());
    TruncatedFrameException e = assertThrows(TruncatedFrameException.class, decoder::finish);
    assertEquals(2, e.bufferedBytes());
  }

  @Test
  void endsQuietlyAtAFrameBoundary() throws Exception {
    FrameDecoder empty = new FrameDecoder();
    empty.finish();
    FrameDecoder decoder = new FrameDecoder();
    decoder.feed(stream(PAYLOADS));
    assertTrue(decoder.isAtFrameBoundary());
    decoder.finish();
  }

  @Test
  void randomGarbageRaisesNothingButFrameErrors() {
    Seeded.run(
        random -> {
          for (int round = 0; round < 2000; round++) {
            byte[] garbage = garbage(random);
            int max = 1 + random.nextInt(2048);
            FrameDecoder decoder = new FrameDecoder(max);
            List<byte[]> frames = new ArrayList<>();
            try {
              int from = 0;
              while (from < garbage.length) {
                int length = Math.min(garbage.length - from, 1 + random.nextInt(64));
                decoder.feed(garbage, from, length, frames::add);
                from += length;
              }
              decoder.finish();
            } catch (FrameException expected) {
              // the defined outcome for a bad stream; anything else fails the test
            }
            for (byte[] frame : frames) {
              assertTrue(frame.length <= max, "frame of " + frame.length + " > max " + max);
            }
          }
        });
  }

  /** Either uniformly random bytes, or a plausible stream (small lengths) with bytes flipped. */
  private static byte[] garbage(Random random) throws FrameTooLargeException {
    if (random.nextBoolean()) {
      byte[] bytes = new byte[random.nextInt(512)];
      random.nextBytes(bytes);
      return bytes;
    }
    List<byte[]> payloads = new ArrayList<>();
    for (int i = random.nextInt(6); i > 0; i--) {
      byte[] payload = new byte[random.nextInt(300)];
      random.nextBytes(payload);
      payloads.add(payload);
    }
    byte[] bytes = stream(payloads);
    for (int flips = random.nextInt(4); flips > 0 && bytes.length > 0; flips--) {
      bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
    }
    return Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
  }
}
