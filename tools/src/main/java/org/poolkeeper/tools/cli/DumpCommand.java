package org.poolkeeper.tools.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.DumpRequest;
import org.poolkeeper.protocol.wire.DumpResponse;
import org.poolkeeper.protocol.wire.DumpedPool;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.simsupport.VersionLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code poolkeeper dump [POOL]}: every pool and PE one registrar holds (the hsdump of Poolkeeper). */
@Command(name = "dump", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        description = {"Lists every pool and pool element (or one pool's) as one registrar's replica holds them: "
                + "PE id, addresses, policy information, home registrar, life left.",
                "Output is streamed as the registrar sends it, block by block, in its order (pools shard by "
                + "shard, PEs by id): under changes it is a consistent view of each block, not of the whole."})
final class DumpCommand implements Callable<Integer> {
    @ParentCommand
    PoolkeeperCommand top;

    @Parameters(index = "0", arity = "0..1", paramLabel = "POOL", description = "Only this pool (default: all).")
    String pool;

    /** How often in a row a block may be refused for the registrar's rate limit, and the pause before asking again. */
    private static final int MAX_REFUSALS = 100;
    private static final long REFUSAL_PAUSE_MS = 100;

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    /** Where the dump goes, pool by pool; a pool split over blocks arrives as one. */
    private interface Sink {
        void pool(String handle, DumpedPool head, long nowMicros);

        void element(PoolElementEntry e, long nowMicros);

        /** After the last block. */
        void end(int registrarId, String endpoint, long pools, long elements);
    }

    @Override
    public Integer call() {
        ByteString only = pool == null ? ByteString.EMPTY : Handles.of(pool);
        PrintWriter out = top.spec.commandLine().getOut();
        Sink sink = top.format == PoolkeeperCommand.Format.json ? new JsonSink(out) : new TableSink(out);
        try (OperatorConnection c = top.connectToAny()) {
            DumpRequest.Builder request = DumpRequest.newBuilder().setPoolHandle(only);
            ByteString current = null;
            long pools = 0;
            long elements = 0;
            int refusals = 0;
            while (true) {
                long id = c.nextRequestId();
                AsapMessage answer = c.call(id, AsapMessage.newBuilder()
                        .setDumpRequest(request.setRequestId(id)).build());
                if (answer.hasError() && answer.getError().getCause() == ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES
                        && refusals++ < MAX_REFUSALS) {
                    // the registrar's per-connection limit on dump blocks per second: a large dump waits its turn
                    sleep(REFUSAL_PAUSE_MS);
                    continue;
                }
                if (answer.hasError()) {
                    throw new CliException("registrar " + c.registrar() + " refused the dump: "
                            + Causes.describe(answer.getError().getCause()) + " (" + answer.getError().getDetail()
                            + ")");
                }
                DumpResponse block = answer.getDumpResponse();
                refusals = 0;
                if (block.getCause() != ErrorCause.ERROR_CAUSE_OK) {
                    throw new CliException((pool == null ? "dump" : "pool '" + pool + "'") + ": "
                            + Causes.describe(block.getCause()));
                }
                for (DumpedPool p : block.getPoolsList()) {
                    if (!p.getPoolHandle().equals(current)) {
                        current = p.getPoolHandle();
                        pools++;
                        sink.pool(Render.handle(current), p, block.getNowUs());
                    }
                    for (PoolElementEntry e : p.getElementsList()) {
                        sink.element(e, block.getNowUs());
                        elements++;
                    }
                }
                if (!block.hasNextCursor()) {
                    break;
                }
                request.setCursor(block.getNextCursor());
            }
            sink.end(c.announce() == null ? 0 : c.announce().getRegistrarId(), c.registrar().toString(), pools,
                    elements);
        }
        return PoolkeeperCommand.EXIT_OK;
    }

    /** One row per PE. Column widths are fixed by the first rows; the summary line comes last. */
    private static final class TableSink implements Sink {
        private static final int WIDTHS_FROM = 200;
        private final PrintWriter out;
        private Table table = newTable();
        private int[] widths;
        private String handle;
        private DumpedPool head;

        TableSink(PrintWriter out) {
            this.out = out;
        }

        private static Table newTable() {
            return new Table("POOL", "POLICY", "PE", "ADDRESSES", "POLICY INFO", "HOME", "LIFE LEFT", "REGISTERED");
        }

        @Override
        public void pool(String handle, DumpedPool head, long nowMicros) {
            this.handle = handle;
            this.head = head;
        }

        @Override
        public void element(PoolElementEntry e, long nowMicros) {
            table.row(handle, Render.policy(head.getPolicyType()), Render.id(e.getPeId()),
                    Render.addresses(e.getAddressesList()), Render.policyInfo(e.getPolicy()),
                    Render.id(e.getHomeRegistrarId()), Render.span((e.getExpiryDeadlineUs() - nowMicros) / 1000),
                    Render.span((nowMicros - e.getRegisteredAtUs()) / 1000) + " ago");
            if (table.size() >= WIDTHS_FROM) {
                flush();
            }
        }

        private void flush() {
            if (table.size() == 0) {
                return;
            }
            widths = table.print(out, widths);
            table = newTable();
        }

        @Override
        public void end(int registrarId, String endpoint, long pools, long elements) {
            flush();
            out.println(pools + (pools == 1 ? " pool, " : " pools, ") + elements
                    + (elements == 1 ? " pool element" : " pool elements") + " at registrar "
                    + (registrarId == 0 ? "" : Render.id(registrarId) + " ") + "(" + endpoint + ")");
            out.flush();
        }
    }

    /** One JSON object: the registrar, then its pools, each with its PEs; written as it comes. */
    private static final class JsonSink implements Sink {
        private final JsonGenerator json;
        private boolean inPool;

        JsonSink(PrintWriter out) {
            try {
                json = PoolkeeperCommand.JSON.getFactory().createGenerator(out).useDefaultPrettyPrinter();
                json.writeStartObject();
                json.writeArrayFieldStart("pools");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void pool(String handle, DumpedPool head, long nowMicros) {
            try {
                if (inPool) {
                    json.writeEndArray();
                    json.writeEndObject();
                }
                inPool = true;
                json.writeStartObject();
                json.writeStringField("pool", handle);
                json.writeStringField("policy", Render.policy(head.getPolicyType()));
                json.writeNumberField("size", Integer.toUnsignedLong(head.getSize()));
                json.writeStringField("writer", Render.id(head.getWriterRegistrarId()));
                json.writeArrayFieldStart("elements");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void element(PoolElementEntry e, long nowMicros) {
            try {
                Map<String, Object> m = Render.element(e, nowMicros);
                json.writeObject(m);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        @Override
        public void end(int registrarId, String endpoint, long pools, long elements) {
            try {
                if (inPool) {
                    json.writeEndArray();
                    json.writeEndObject();
                }
                json.writeEndArray();
                json.writeStringField("registrar", registrarId == 0 ? null : Render.id(registrarId));
                json.writeStringField("registrar_endpoint", endpoint);
                json.writeNumberField("pool_count", pools);
                json.writeNumberField("element_count", elements);
                json.writeEndObject();
                json.writeRaw('\n');
                json.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
