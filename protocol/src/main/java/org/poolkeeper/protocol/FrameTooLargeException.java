package org.poolkeeper.protocol;

/** A length prefix, or a payload to be sent, exceeds the configured maximum frame length. */
public final class FrameTooLargeException extends FrameException {

  private static final long serialVersionUID = 1L;

  private final long length;
  private final int maxFrameLength;

  /**
   * @param length the offending payload length, read as an unsigned 32-bit value
   * @param maxFrameLength the limit in force
   */
  public FrameTooLargeException(long length, int maxFrameLength) {
    super("frame payload of " + length + " bytes exceeds the maximum of " + maxFrameLength);
    this.length = length;
    this.maxFrameLength = maxFrameLength;
  }

  /** The offending payload length in bytes (0 .. 2^32 - 1). */
  public long length() {
    return length;
  }

  /** The limit in force, in bytes. */
  public int maxFrameLength() {
    return maxFrameLength;
  }
}
