package org.poolkeeper.registrar.endpoint;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteIterator;
import org.apache.pekko.util.ByteString;
import org.poolkeeper.protocol.FrameDecoder;
import org.poolkeeper.registrar.node.BadInputLog;

/**
 * What one client connection may hold of a node before its frames are decoded: it follows the length prefixes
 * of the bytes it passes on, and closes the connection (fails the stream) when
 * <ul>
 *   <li>no complete frame arrived within {@code frame-timeout} of the connection's start,</li>
 *   <li>a frame it started is not complete within {@code frame-timeout},</li>
 *   <li>nothing arrived for {@code idle-timeout}, or</li>
 *   <li>the bytes of its unfinished frame would take the node's total of unfinished frame bytes (shared by all
 *       connections) beyond {@code max-unfinished-frame-bytes}.</li>
 * </ul>
 * A connection whose PEs answer keep-alives is never idle; a pool user's client connects again when it needs to.
 */
final class ConnectionGuard extends GraphStage<FlowShape<ByteString, ByteString>> {
    private static final String CHECK = "check";
    /**
     * Frames up to this size do not count against max-unfinished-frame-bytes (every request of the protocol is far
     * smaller); what they can hold is bounded by max-connections times this.
     */
    static final int SMALL_FRAME = 4096;

    private final Inlet<ByteString> in = Inlet.create("ConnectionGuard.in");
    private final Outlet<ByteString> out = Outlet.create("ConnectionGuard.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

    private final InetSocketAddress remote;
    private final Duration frameTimeout;
    private final Duration idleTimeout;
    private final long maxUnfinishedBytes;
    private final AtomicLong unfinishedBytes;
    private final BadInputLog badInput;

    /**
     * @param unfinishedBytes the node's total of bytes in unfinished frames, shared by every connection's guard
     */
    ConnectionGuard(InetSocketAddress remote, Duration frameTimeout, Duration idleTimeout, long maxUnfinishedBytes,
                    AtomicLong unfinishedBytes, BadInputLog badInput) {
        this.remote = remote;
        this.frameTimeout = frameTimeout;
        this.idleTimeout = idleTimeout;
        this.maxUnfinishedBytes = maxUnfinishedBytes;
        this.unfinishedBytes = unfinishedBytes;
        this.badInput = badInput;
    }

    /** Why a guard closed its connection. */
    static final class ClosedByGuard extends RuntimeException {
        ClosedByGuard(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
        return new TimerGraphStageLogic(shape) {
            /** Header bytes of the current frame read so far (0..4) and the length they give. */
            private int headerRead;
            private long length;
            /** Payload bytes of the current frame still to come, once its header is complete. */
            private long remaining;
            /** Bytes of the current frame received so far, and how many of them are in the node's total. */
            private long inFrame;
            private long counted;
            private boolean sawFrame;
            /**
             * When the connection opened, its unfinished frame started, and something last arrived (nanoTime). Time
             * in which the registrar did not read (the session held the client's input back) does not count: these
             * move forward by it.
             */
            private long openedNanos = System.nanoTime();
            /** Since when the guard waits for the session to read on (0: it reads). */
            private long heldSinceNanos;
            private long frameStartNanos;
            private long lastReceivedNanos = openedNanos;
            private long chunkNanos;

            {
                setHandler(in, new AbstractInHandler() {
                    @Override
                    public void onPush() {
                        ByteString chunk = grab(in);
                        chunkNanos = System.nanoTime();
                        lastReceivedNanos = chunkNanos;
                        follow(chunk);
                        // the node's total changes once per chunk, and not at all for a chunk that ends where a
                        // frame ends (most do): no shared counter in the way of every frame. Only large frames
                        // count: a client's requests are small, and a connection whose small frame happens to end
                        // in the next chunk is never closed because others hold large unfinished frames
                        long charge = length > SMALL_FRAME ? inFrame : 0;
                        if (charge != counted) {
                            long total = unfinishedBytes.addAndGet(charge - counted);
                            boolean grew = charge > counted;
                            counted = charge;
                            if (grew && total > maxUnfinishedBytes) {
                                close("unfinished frames of all connections exceed max-unfinished-frame-bytes ("
                                        + maxUnfinishedBytes + " bytes)");
                                return;
                            }
                        }
                        push(out, chunk);
                        heldSinceNanos = chunkNanos; // until the next pull: not the client's time
                    }
                });
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        if (heldSinceNanos != 0) {
                            long held = System.nanoTime() - heldSinceNanos;
                            heldSinceNanos = 0;
                            openedNanos += held;
                            frameStartNanos += held;
                            lastReceivedNanos += held;
                        }
                        pull(in);
                    }
                });
            }

            @Override
            public void preStart() {
                // one cheap periodic check instead of a timer per frame: a frame's start is a timestamp
                Duration every = Duration.ofMillis(Math.max(10, Math.min(frameTimeout.toMillis(),
                        idleTimeout.toMillis()) / 4));
                scheduleWithFixedDelay(CHECK, every, every);
            }

            @Override
            public void onTimer(Object key) {
                if (heldSinceNanos != 0 && System.nanoTime() - heldSinceNanos > 1_000_000) {
                    return; // the session holds the client's input back: what waits unread is the registrar's doing
                }
                long now = System.nanoTime();
                if (!sawFrame && now - openedNanos >= frameTimeout.toNanos()) {
                    close("no complete frame within " + frameTimeout.toMillis() + " ms (frame-timeout)");
                } else if (inFrame > 0 && now - frameStartNanos >= frameTimeout.toNanos()) {
                    close("a frame unfinished for " + frameTimeout.toMillis() + " ms (frame-timeout)");
                } else if (now - lastReceivedNanos >= idleTimeout.toNanos()) {
                    close("nothing received for " + idleTimeout.toSeconds() + " s (idle-timeout)");
                }
            }

            @Override
            public void postStop() {
                release();
            }

            /** Walks the frame boundaries in {@code chunk}, leaving {@code inFrame} at the unfinished frame's bytes. */
            private void follow(ByteString chunk) {
                ByteIterator bytes = chunk.iterator();
                int i = 0;
                int n = chunk.size();
                while (i < n) {
                    if (inFrame == 0) {
                        frameStartNanos = chunkNanos; // a new frame starts: it has frame-timeout to complete
                    }
                    if (headerRead < FrameDecoder.HEADER_LENGTH) {
                        length = (length << 8) | (bytes.next() & 0xFF);
                        headerRead++;
                        i++;
                        inFrame++;
                        if (headerRead == FrameDecoder.HEADER_LENGTH) {
                            remaining = length; // an oversized length fails the framing stage after this one
                            if (remaining == 0) {
                                frameDone();
                            }
                        }
                        continue;
                    }
                    int take = (int) Math.min(remaining, n - i);
                    bytes.drop(take);
                    i += take;
                    inFrame += take;
                    remaining -= take;
                    if (remaining == 0) {
                        frameDone();
                    }
                }
            }

            private void frameDone() {
                headerRead = 0;
                length = 0;
                remaining = 0;
                inFrame = 0;
                sawFrame = true;
            }

            private void release() {
                if (counted != 0) {
                    unfinishedBytes.addAndGet(-counted);
                    counted = 0;
                }
            }

            private void close(String why) {
                badInput.log(remote, "connection closed: " + why);
                release();
                failStage(new ClosedByGuard(why));
            }
        };
    }
}
