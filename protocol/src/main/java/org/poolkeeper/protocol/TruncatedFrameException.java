package org.poolkeeper.protocol;

/** The stream ended inside a frame: its length prefix or payload is incomplete. */
public final class TruncatedFrameException extends FrameException {

  private static final long serialVersionUID = 1L;

  private final int bufferedBytes;

  /** @param bufferedBytes bytes of the incomplete frame (prefix included) that had arrived */
  public TruncatedFrameException(int bufferedBytes) {
    super("stream ended inside a frame, after " + bufferedBytes + " of its bytes");
    this.bufferedBytes = bufferedBytes;
  }

  /** Bytes of the incomplete frame, length prefix included, that had arrived. */
  public int bufferedBytes() {
    return bufferedBytes;
  }
}
