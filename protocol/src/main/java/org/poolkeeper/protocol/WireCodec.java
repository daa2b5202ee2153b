package org.poolkeeper.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.util.function.Predicate;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.Error;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * Converts the envelope messages to and from frame payloads. Decoding never throws: bad input
 * becomes {@link Decoded.Malformed}. Stateless and thread-safe.
 */
public final class WireCodec {

  /** The most payload bytes a {@link Decoded.Malformed} keeps to quote in an error reply. */
  public static final int OFFENDING_PREFIX_LENGTH = 64;

  private WireCodec() {}

  /** The payload for {@code message}, in a Pekko {@code ByteString} that shares its array. */
  public static org.apache.pekko.util.ByteString encode(MessageLite message) {
    return org.apache.pekko.util.ByteString.fromArrayUnsafe(message.toByteArray());
  }

  /** Decodes a client-protocol payload. */
  public static Decoded<AsapMessage> decodeAsap(byte[] payload) {
    return decode(
        payload, AsapMessage.parser(), m -> m.getBodyCase() != AsapMessage.BodyCase.BODY_NOT_SET);
  }

  /** Decodes a client-protocol payload. */
  public static Decoded<AsapMessage> decodeAsap(org.apache.pekko.util.ByteString payload) {
    return decodeAsap(payload.toArrayUnsafe());
  }

  /** Decodes a registrar-protocol payload. */
  public static Decoded<EnrpMessage> decodeEnrp(byte[] payload) {
    return decode(
        payload, EnrpMessage.parser(), m -> m.getBodyCase() != EnrpMessage.BodyCase.BODY_NOT_SET);
  }

  /** Decodes a registrar-protocol payload. */
  public static Decoded<EnrpMessage> decodeEnrp(org.apache.pekko.util.ByteString payload) {
    return decodeEnrp(payload.toArrayUnsafe());
  }

  /**
   * The reply a client session sends for a malformed frame. Its request id is 0: a frame that did
   * not decode has no request id that could be trusted.
   */
  public static AsapMessage errorReply(Decoded.Malformed<?> malformed) {
    return AsapMessage.newBuilder()
        .setError(
            Error.newBuilder()
                .setCause(malformed.cause())
                .setDetail(malformed.reason())
                .setOffending(malformed.offending()))
        .build();
  }

  private static <M extends Message> Decoded<M> decode(
      byte[] payload, Parser<M> parser, Predicate<M> hasKnownBody) {
    M message;
    try {
      message = parser.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      return malformed(
          ErrorCause.ERROR_CAUSE_INVALID_VALUES,
          "undecodable payload of " + payload.length + " bytes: " + e.getMessage(),
          payload);
    }
    if (!hasKnownBody.test(message)) {
      return malformed(
          ErrorCause.ERROR_CAUSE_UNRECOGNIZED_MESSAGE,
          payload.length == 0
              ? "empty frame"
              : "no known message body in a payload of " + payload.length + " bytes",
          payload);
    }
    return new Decoded.Ok<>(message);
  }

  private static <M extends Message> Decoded<M> malformed(
      ErrorCause cause, String reason, byte[] payload) {
    ByteString offending =
        ByteString.copyFrom(payload, 0, Math.min(payload.length, OFFENDING_PREFIX_LENGTH));
    return new Decoded.Malformed<>(cause, reason, offending);
  }
}
