package org.poolkeeper.protocol;

import com.google.protobuf.Message;

/** Unwraps {@link Decoded} results in tests, failing with the result when it is the other kind. */
final class Expect {

  private Expect() {}

  static <M extends Message> M ok(Decoded<M> decoded) {
    if (decoded instanceof Decoded.Ok<M> ok) {
      return ok.message();
    }
    throw new AssertionError("expected a decoded message, got " + decoded);
  }

  static Decoded.Malformed<?> malformed(Decoded<?> decoded) {
    if (decoded instanceof Decoded.Malformed<?> malformed) {
      return malformed;
    }
    throw new AssertionError("expected a malformed frame, got " + decoded);
  }
}
