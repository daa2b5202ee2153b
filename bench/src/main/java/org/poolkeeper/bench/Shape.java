package org.poolkeeper.bench;

/** A handlespace shape: {@code pools} pools of {@code pesPerPool} PEs each. */
record Shape(int pools, int pesPerPool) {

    static final Shape PAPER = new Shape(1, 3000);

    /** Parses "3000" (one pool) or "1000x100" (pools x PEs per pool). */
    static Shape parse(String text) {
        String t = text.trim().replace("_", "").replace(",", "");
        int x = t.toLowerCase().indexOf('x');
        Shape shape = x < 0 ? new Shape(1, Integer.parseInt(t))
                : new Shape(Integer.parseInt(t.substring(0, x)), Integer.parseInt(t.substring(x + 1)));
        if (shape.pools < 1 || shape.pools > 10_000 || shape.pesPerPool < 10) {
            throw new IllegalArgumentException("a size is N >= 10 PEs or POOLSxN with 1-10000 pools: " + text);
        }
        return shape;
    }

    @Override
    public String toString() {
        return pools == 1 ? Integer.toString(pesPerPool) : pools + "x" + pesPerPool;
    }
}
