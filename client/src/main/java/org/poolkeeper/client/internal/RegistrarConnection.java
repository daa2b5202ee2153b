package org.poolkeeper.client.internal;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.protocol.Decoded;
import org.poolkeeper.protocol.TcpFraming;
import org.poolkeeper.protocol.wire.AsapMessage;

/**
 * One TCP connection to one registrar: a bounded send queue into the length-prefixed protobuf framing, and
 * every decoded message handed to a consumer on the stream's thread. Thread-safe.
 */
public final class RegistrarConnection {
    private final RegistrarAddress address;
    private final BoundedSourceQueue<AsapMessage> queue;
    private volatile boolean open = true;
    /** When the registrar last sent anything on this connection (System.nanoTime()). */
    private final AtomicLong lastReceivedNanos;

    private RegistrarConnection(RegistrarAddress address, BoundedSourceQueue<AsapMessage> queue,
                                AtomicLong lastReceivedNanos) {
        this.address = address;
        this.lastReceivedNanos = lastReceivedNanos;
        this.queue = queue;
    }

    /**
     * Connects. The stage completes when the TCP connection is established (or fails); {@code closed} runs
     * once when the connection ends for any reason after that.
     */
    public static CompletionStage<RegistrarConnection> open(ActorSystem<?> system, RegistrarAddress address,
                                                            Duration connectTimeout, int maxFrameLength,
                                                            int sendBuffer, Consumer<AsapMessage> inbound,
                                                            Consumer<RegistrarConnection> closed) {
        Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> tcp = Tcp.get(system)
                .outgoingConnection(new InetSocketAddress(address.host(), address.port()), Optional.empty(),
                        List.of(), false, Optional.of(connectTimeout), Optional.empty());
        Flow<AsapMessage, Decoded<AsapMessage>, CompletionStage<Tcp.OutgoingConnection>> framed =
                TcpFraming.asap(maxFrameLength).join(tcp, Keep.right());
        AtomicLong lastReceived = new AtomicLong(System.nanoTime());
        Pair<Pair<BoundedSourceQueue<AsapMessage>, CompletionStage<Tcp.OutgoingConnection>>, CompletionStage<Done>> m =
                Source.<AsapMessage>queue(sendBuffer)
                        .viaMat(framed, Keep.both())
                        .toMat(Sink.foreach(decoded -> {
                            lastReceived.set(System.nanoTime());
                            if (decoded instanceof Decoded.Ok<AsapMessage> ok) {
                                inbound.accept(ok.message());
                            }
                        }), Keep.both())
                        .run(system);
        RegistrarConnection connection = new RegistrarConnection(address, m.first().first(), lastReceived);
        m.second().whenComplete((done, error) -> {
            connection.open = false;
            closed.accept(connection);
        });
        return m.first().second().thenApply(established -> connection);
    }

    public RegistrarAddress address() {
        return address;
    }

    /** When the registrar last sent anything on this connection ({@link System#nanoTime()}). */
    public long lastReceivedNanos() {
        return lastReceivedNanos.get();
    }

    public boolean isOpen() {
        return open;
    }

    /**
     * Queues a message; false if the connection is closed or its send buffer is full. A connection whose stream
     * ended (the registrar reset it) counts as closed from then on, even before the stream's completion is seen.
     */
    public boolean send(AsapMessage message) {
        if (!open) {
            return false;
        }
        QueueOfferResult result = queue.offer(message);
        if (result.isEnqueued()) {
            return true;
        }
        if (!QueueOfferResult.dropped().equals(result)) {
            open = false;
        }
        return false;
    }

    /** Closes the connection (after what is queued has been sent). */
    public void close() {
        synchronized (this) {
            if (!open) {
                return; // closed already (by a timeout, the registrar or the session)
            }
            open = false;
        }
        try {
            queue.complete();
        } catch (IllegalStateException streamEnded) {
            // the connection's stream failed or finished first: nothing left to close
        }
    }
}
