package org.poolkeeper.bench;

/** The measured operations, named as in {@code results.csv}. */
public enum Operation {
    REGISTRATION("registration", "register a new PE (timer armed, next deadline read), then deregister a random PE"),
    DEREGISTRATION("deregistration", "deregister a uniformly random PE by id (timed alone; refills untimed)"),
    REREGISTRATION("reregistration", "a random PE re-registers with new policy info and life; next deadline read"),
    RESOLUTION1("resolution1", "handle resolution, MaxHResItems 1, MaxIncrement 0 (policy default)"),
    RESOLUTION3("resolution3", "handle resolution, MaxHResItems 3, MaxIncrement 0 (policy default)"),
    TIMER("timer", "a random PE: cancel its deadline, set now + life, read the next deadline"),
    EXPIRE1("expire1", "read the earliest deadline and expire exactly that PE (refill untimed)"),
    BULK_EXPIRE("bulk_expire", "expire every PE of the handlespace at once; unit: PEs expired per second"),
    EXPORT("export", "export the whole handlespace in blocks of 128 as snapshots; unit: PEs per second"),
    IMPORT("import", "import the whole handlespace's snapshots into an empty one; unit: PEs per second");

    private final String csvName;
    private final String description;

    Operation(String csvName, String description) {
        this.csvName = csvName;
        this.description = description;
    }

    public String csvName() {
        return csvName;
    }

    public String description() {
        return description;
    }

    public static Operation fromCsvName(String name) {
        for (Operation op : values()) {
            if (op.csvName.equals(name)) {
                return op;
            }
        }
        throw new IllegalArgumentException("unknown operation " + name);
    }
}
