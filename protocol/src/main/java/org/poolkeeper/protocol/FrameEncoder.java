package org.poolkeeper.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds frames in the format {@link FrameDecoder} reads: a 4-byte big-endian length prefix, then
 * the payload. Refuses payloads longer than the maximum frame length, so that a peer configured
 * alike never has to disconnect this sender. Stateless and thread-safe.
 */
public final class FrameEncoder {

  private final int maxFrameLength;

  /** An encoder for payloads of up to {@link FrameDecoder#DEFAULT_MAX_FRAME_LENGTH} bytes. */
  public FrameEncoder() {
    this(FrameDecoder.DEFAULT_MAX_FRAME_LENGTH);
  }

  /**
   * @param maxFrameLength largest payload in bytes, the prefix not counted
   * @throws IllegalArgumentException unless {@code 1 <= maxFrameLength <=}
   *     {@link FrameDecoder#MAX_SUPPORTED_FRAME_LENGTH}
   */
  public FrameEncoder(int maxFrameLength) {
    this.maxFrameLength = FrameDecoder.checkMaxFrameLength(maxFrameLength);
  }

  /** Largest payload in bytes. */
  public int maxFrameLength() {
    return maxFrameLength;
  }

  /** Returns a new array holding the frame for {@code payload}. */
  public byte[] encode(byte[] payload) throws FrameTooLargeException {
    checkLength(payload.length);
    byte[] frame = new byte[FrameDecoder.HEADER_LENGTH + payload.length];
    writeHeader(frame, payload.length);
    System.arraycopy(payload, 0, frame, FrameDecoder.HEADER_LENGTH, payload.length);
    return frame;
  }

  /** Returns a new array holding the frame for {@code message}, serialized in place. */
  public byte[] encode(MessageLite message) throws FrameTooLargeException {
    int length = message.getSerializedSize();
    checkLength(length);
    byte[] frame = new byte[FrameDecoder.HEADER_LENGTH + length];
    writeHeader(frame, length);
    CodedOutputStream out =
        CodedOutputStream.newInstance(frame, FrameDecoder.HEADER_LENGTH, length);
    try {
      message.writeTo(out);
    } catch (IOException e) {
      // Only thrown when the array is too small, which getSerializedSize rules out.
      throw new UncheckedIOException(e);
    }
    out.checkNoSpaceLeft();
    return frame;
  }

  private void checkLength(int length) throws FrameTooLargeException {
    if (length > maxFrameLength) {
      throw new FrameTooLargeException(length, maxFrameLength);
    }
  }

  private static void writeHeader(byte[] frame, int length) {
    frame[0] = (byte) (length >>> 24);
    frame[1] = (byte) (length >>> 16);
    frame[2] = (byte) (length >>> 8);
    frame[3] = (byte) length;
  }
}
