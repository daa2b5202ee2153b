package org.poolkeeper.protocol;

import com.typesafe.config.Config;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.util.ByteString;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.EnrpMessage;

/**
 * Pekko Streams stages for protocol connections over TCP, in the frame format that
 * {@link FrameDecoder} documents (4-byte big-endian length, then one protobuf message).
 *
 * <p>Every stage here is a {@link BidiFlow} to join with a TCP connection flow: its top direction
 * takes what this side sends and emits bytes for the wire, its bottom direction takes bytes from
 * the wire and emits what this side receives:
 *
 * <pre>
 *            +---------------------------+
 *   send --> | encode     --> add prefix | --> bytes to the wire
 *            |                           |
 *   recv <-- | decode     &lt;-- reassemble | &lt;-- bytes from the wire
 *            +---------------------------+
 * </pre>
 *
 * <p>Framing errors fail the stream with Pekko's {@code Framing.FramingException}: a received
 * length prefix above the maximum (checked before the payload is buffered; an unsigned length of
 * 2^31 or more counts as above it), or a message to send that exceeds it. The endpoint turns that
 * into a closed connection. A payload that is not a valid message is not an error of the stream:
 * it comes out as {@link Decoded.Malformed}, so the session can answer it.
 */
public final class TcpFraming {

  /** Configuration key of the maximum payload length of one frame, in bytes. */
  public static final String MAX_FRAME_LENGTH_KEY = "poolkeeper.protocol.max-frame-length";

  private TcpFraming() {}

  /**
   * Reads {@value #MAX_FRAME_LENGTH_KEY} (a size such as {@code 64 KiB}).
   *
   * @throws IllegalArgumentException when the value is outside 1 ..
   *     {@link FrameDecoder#MAX_SUPPORTED_FRAME_LENGTH}
   */
  public static int maxFrameLength(Config config) {
    long bytes = config.getBytes(MAX_FRAME_LENGTH_KEY);
    if (bytes < 1 || bytes > FrameDecoder.MAX_SUPPORTED_FRAME_LENGTH) {
      throw new IllegalArgumentException(
          MAX_FRAME_LENGTH_KEY
              + " must be within 1.."
              + FrameDecoder.MAX_SUPPORTED_FRAME_LENGTH
              + " bytes: "
              + bytes);
    }
    return (int) bytes;
  }

  /**
   * Length-prefix framing of raw payloads, {@code maxFrameLength} bytes at most (prefix not
   * counted) in both directions.
   */
  public static BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> frames(
      int maxFrameLength) {
    return Framing.simpleFramingProtocol(FrameDecoder.checkMaxFrameLength(maxFrameLength));
  }

  /** A client-protocol connection: {@link AsapMessage}s out, decoded frames in. */
  public static BidiFlow<AsapMessage, ByteString, ByteString, Decoded<AsapMessage>, NotUsed> asap(
      int maxFrameLength) {
    BidiFlow<AsapMessage, ByteString, ByteString, Decoded<AsapMessage>, NotUsed> codec =
        BidiFlow.fromFunctions(WireCodec::encode, WireCodec::decodeAsap);
    return codec.atop(frames(maxFrameLength));
  }

  /** A registrar-protocol connection: {@link EnrpMessage}s out, decoded frames in. */
  public static BidiFlow<EnrpMessage, ByteString, ByteString, Decoded<EnrpMessage>, NotUsed> enrp(
      int maxFrameLength) {
    BidiFlow<EnrpMessage, ByteString, ByteString, Decoded<EnrpMessage>, NotUsed> codec =
        BidiFlow.fromFunctions(WireCodec::encode, WireCodec::decodeEnrp);
    return codec.atop(frames(maxFrameLength));
  }
}
