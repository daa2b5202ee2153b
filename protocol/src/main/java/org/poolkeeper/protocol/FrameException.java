package org.poolkeeper.protocol;

import java.io.IOException;

/**
 * A byte stream that does not follow the frame format. The stream cannot be resynchronised after
 * one of these: the connection that carried it must be closed.
 */
public abstract sealed class FrameException extends IOException
    permits FrameTooLargeException, TruncatedFrameException {

  private static final long serialVersionUID = 1L;

  FrameException(String message) {
    super(message);
  }
}
