package org.poolkeeper.registrar.endpoint;

import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Merges the frames a connection's stream produces in one turn of its actor into one element, the way an event
 * loop flushes once per turn. The first frame of a turn schedules a flush through the stage's own mailbox
 * (an async callback), so it runs after the messages already queued there (answers from the pool shards, more
 * requests); the frames those produce join the same element. Downstream sees one element where it would have
 * seen many: under TLS that is one record (one encryption, one socket write) instead of one per frame.
 *
 * <p>Nothing waits on a timer: an idle connection's frame leaves after one mailbox round trip. At most
 * {@code maxBytes} are held before the stage stops taking more (backpressure).
 */
final class WriteCoalescer extends GraphStage<FlowShape<ByteString, ByteString>> {
    private final Inlet<ByteString> in = Inlet.create("WriteCoalescer.in");
    private final Outlet<ByteString> out = Outlet.create("WriteCoalescer.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final int maxBytes;

    /** @param maxBytes most bytes held before upstream is backpressured (the element may end a frame beyond) */
    WriteCoalescer(int maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
        return new GraphStageLogic(shape) {
            private ByteStringBuilder held = new ByteStringBuilder();
            private boolean flushQueued;
            /** A flush ran while downstream was busy: push at the next pull. */
            private boolean flushDue;
            private AsyncCallback<Boolean> flush;

            {
                setHandler(in, new AbstractInHandler() {
                    @Override
                    public void onPush() {
                        held.append(grab(in));
                        if (!flushQueued && !flushDue) {
                            flushQueued = true;
                            flush.invoke(Boolean.TRUE);
                        }
                        if (held.length() < maxBytes) {
                            pull(in);
                        }
                    }

                    @Override
                    public void onUpstreamFinish() {
                        if (held.isEmpty()) {
                            completeStage();
                        } else {
                            emit(out, take(), () -> completeStage());
                        }
                    }
                });
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        if (flushDue) {
                            flushDue = false;
                            pushHeld();
                        }
                    }
                });
            }

            @Override
            public void preStart() {
                flush = createAsyncCallback(ignored -> {
                    flushQueued = false;
                    if (isAvailable(out)) {
                        pushHeld();
                    } else {
                        flushDue = true; // downstream is busy: what is held then leaves at its next pull
                    }
                });
                pull(in);
            }

            private void pushHeld() {
                if (!held.isEmpty()) {
                    push(out, take());
                    if (!hasBeenPulled(in) && !isClosed(in)) {
                        pull(in);
                    }
                }
            }

            private ByteString take() {
                ByteString bytes = held.result();
                held = new ByteStringBuilder();
                return bytes;
            }
        };
    }
}
