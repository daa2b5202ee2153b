package org.poolkeeper.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import java.util.Objects;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * What one frame payload decoded to: a message, or the reason it is not one. Decoding never
 * throws, so a session can answer a bad frame with an {@code Error} and keep the connection.
 *
 * @param <M> the envelope type, {@code AsapMessage} or {@code EnrpMessage}
 */
public sealed interface Decoded<M extends Message> permits Decoded.Ok, Decoded.Malformed {

  /** The payload is a message with a body this side knows. */
  record Ok<M extends Message>(M message) implements Decoded<M> {
    public Ok {
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * The payload is not a usable message.
   *
   * @param cause {@code ERROR_CAUSE_INVALID_VALUES} when the payload is not valid protobuf for the
   *     envelope, {@code ERROR_CAUSE_UNRECOGNIZED_MESSAGE} when it is valid but carries no body
   *     this side knows (an empty frame, or a message type added by a newer peer)
   * @param reason human-readable explanation, for the {@code Error} detail and logs
   * @param offending the first {@link WireCodec#OFFENDING_PREFIX_LENGTH} bytes of the payload at
   *     most, for the {@code Error} reply
   */
  record Malformed<M extends Message>(ErrorCause cause, String reason, ByteString offending)
      implements Decoded<M> {
    public Malformed {
      Objects.requireNonNull(cause, "cause");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(offending, "offending");
    }
  }
}
