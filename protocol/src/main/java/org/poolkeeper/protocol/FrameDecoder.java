package org.poolkeeper.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Incremental decoder of the length-prefixed frames that carry one protobuf message each over TCP
 * (the same format as Pekko's {@code Framing.simpleFramingProtocol}, see {@link TcpFraming}).
 *
 * <pre>
 *   one frame on the wire                        what {@link #feed} hands out
 *   +-----------------+----------------------+     +----------------------+
 *   | length N        | payload              | --> | payload              |
 *   | 4 bytes, uint32 | N bytes, N at most   |     | N bytes              |
 *   | big endian      | the max frame length |     +----------------------+
 *   +-----------------+----------------------+
 *   frames follow each other with nothing in between; TCP may split or merge them anywhere
 * </pre>
 *
 * <p>Bytes are fed in chunks of any size, split anywhere; every complete payload is handed to the
 * consumer in order, as a new array the consumer owns. A partial frame is never handed out.
 *
 * <ul>
 *   <li><b>Too large:</b> as soon as a length prefix greater than the maximum frame length is
 *       complete, {@link #feed} throws {@link FrameTooLargeException}, before any byte of that
 *       payload is buffered or allocated.
 *   <li><b>Zero length:</b> a frame with {@code N = 0} is a valid frame with an empty payload,
 *       handed out as an empty array (Pekko's framing stage does the same). Whether an empty
 *       message means anything is the message layer's call: {@link WireCodec} answers it as an
 *       unrecognized message.
 *   <li><b>End of stream:</b> {@link #finish()} throws {@link TruncatedFrameException} when the
 *       stream stopped inside a frame.
 *   <li><b>After an error</b> the decoder is failed: every later {@link #feed} or {@link #finish()}
 *       throws the same exception, since the stream cannot be resynchronised. Close the connection.
 * </ul>
 *
 * <p>Memory: at most one frame is buffered, in an array of exactly its payload length, allocated
 * when its length prefix is complete. Each {@code feed} costs O(chunk length) plus the copy of
 * the payload bytes. Not thread-safe: one decoder per connection, fed by one thread at a time.
 */
public final class FrameDecoder {

  /** Bytes in the length prefix. */
  public static final int HEADER_LENGTH = 4;

  /** Default maximum payload length: 64 KiB. */
  public static final int DEFAULT_MAX_FRAME_LENGTH = 64 * 1024;

  /** Largest maximum payload length that may be configured: 1 GiB. */
  public static final int MAX_SUPPORTED_FRAME_LENGTH = 1 << 30;

  private static final byte[] EMPTY = new byte[0];

  private final int maxFrameLength;
  private final byte[] header = new byte[HEADER_LENGTH];
  private int headerFilled;
  /** Payload of the frame being read; null while reading a length prefix. */
  private byte[] payload;
  private int payloadFilled;
  private FrameException failure;

  /** A decoder accepting payloads of up to {@link #DEFAULT_MAX_FRAME_LENGTH} bytes. */
  public FrameDecoder() {
    this(DEFAULT_MAX_FRAME_LENGTH);
  }

  /**
   * @param maxFrameLength largest accepted payload in bytes, the prefix not counted
   * @throws IllegalArgumentException unless {@code 1 <= maxFrameLength <=}
   *     {@link #MAX_SUPPORTED_FRAME_LENGTH}
   */
  public FrameDecoder(int maxFrameLength) {
    this.maxFrameLength = checkMaxFrameLength(maxFrameLength);
  }

  static int checkMaxFrameLength(int maxFrameLength) {
    if (maxFrameLength < 1 || maxFrameLength > MAX_SUPPORTED_FRAME_LENGTH) {
      throw new IllegalArgumentException(
          "maxFrameLength must be within 1.." + MAX_SUPPORTED_FRAME_LENGTH + ": " + maxFrameLength);
    }
    return maxFrameLength;
  }

  /** Largest accepted payload in bytes. */
  public int maxFrameLength() {
    return maxFrameLength;
  }

  /**
   * Consumes all remaining bytes of {@code input} (its position ends at its limit) and hands every
   * payload completed by them to {@code frames}, in order.
   *
   * @throws FrameTooLargeException when a length prefix exceeds the maximum frame length; input
   *     after that prefix is left unconsumed
   */
  public void feed(ByteBuffer input, Consumer<byte[]> frames) throws FrameException {
    if (failure != null) {
      throw failure;
    }
    while (input.hasRemaining()) {
      if (payload == null) {
        int n = Math.min(HEADER_LENGTH - headerFilled, input.remaining());
        input.get(header, headerFilled, n);
        headerFilled += n;
        if (headerFilled == HEADER_LENGTH) {
          startPayload(frames);
        }
      } else {
        int n = Math.min(payload.length - payloadFilled, input.remaining());
        input.get(payload, payloadFilled, n);
        payloadFilled += n;
        if (payloadFilled == payload.length) {
          byte[] complete = payload;
          payload = null;
          payloadFilled = 0;
          frames.accept(complete);
        }
      }
    }
  }

  /** {@link #feed(ByteBuffer, Consumer)} over {@code chunk[offset .. offset + length)}. */
  public void feed(byte[] chunk, int offset, int length, Consumer<byte[]> frames)
      throws FrameException {
    feed(ByteBuffer.wrap(chunk, offset, length), frames);
  }

  /** Feeds a whole chunk and returns the payloads it completed, in order (possibly none). */
  public List<byte[]> feed(byte[] chunk) throws FrameException {
    List<byte[]> out = new ArrayList<>(2);
    feed(ByteBuffer.wrap(chunk), out::add);
    return out;
  }

  private void startPayload(Consumer<byte[]> frames) throws FrameTooLargeException {
    long length =
        ((header[0] & 0xFFL) << 24)
            | ((header[1] & 0xFFL) << 16)
            | ((header[2] & 0xFFL) << 8)
            | (header[3] & 0xFFL);
    headerFilled = 0;
    if (length > maxFrameLength) {
      FrameTooLargeException e = new FrameTooLargeException(length, maxFrameLength);
      failure = e;
      throw e;
    }
    if (length == 0) {
      frames.accept(EMPTY);
    } else {
      payload = new byte[(int) length];
      payloadFilled = 0;
    }
  }

  /**
   * Declares the end of the stream.
   *
   * @throws TruncatedFrameException when the stream ended inside a frame
   * @throws FrameTooLargeException when an earlier {@link #feed} failed with it
   */
  public void finish() throws FrameException {
    if (failure != null) {
      throw failure;
    }
    if (!isAtFrameBoundary()) {
      failure = new TruncatedFrameException(bufferedBytes());
      throw failure;
    }
  }

  /** True when no partial frame is buffered: the bytes fed so far end exactly after a frame. */
  public boolean isAtFrameBoundary() {
    return payload == null && headerFilled == 0;
  }

  /** Bytes of the incomplete frame received so far, length prefix included. */
  public int bufferedBytes() {
    return payload == null ? headerFilled : HEADER_LENGTH + payloadFilled;
  }
}
