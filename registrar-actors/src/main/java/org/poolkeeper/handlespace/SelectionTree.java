package org.poolkeeper.handlespace;

import java.util.function.Consumer;

/**
 * A red-black tree of {@link PoolElement}s ordered by (policy sort key, selection sequence number, PE id). The
 * ordered policies only ever take the first nodes in tree order; the random ones draw elsewhere (random from the
 * pool's deadline heap, weighted random and randomized least used from its {@link WeightIndex}). So the nodes
 * carry no subtree sums: a change costs only the search and the rebalancing (amortised O(1) rotations), never a
 * walk back to the root. The nodes are the PEs themselves (intrusive), so the tree allocates nothing.
 *
 * <p>Round robin, weighted round robin and the random policies give every PE the same sort key, and a PE only
 * ever joins or re-joins behind the last one (a new PE, or a round-robin selection with the next sequence number).
 * Their PEs start out in a plain doubly linked list in tree order ({@code left}: previous, {@code right}: next),
 * where a selection moves the first PE behind the last in O(1) touching three PEs. An insert that belongs further
 * forward (a replica applying a writer's update, an import in another order) is placed by a short scan
 * from the end; when the scan would be long, the list turns into the tree for good (until the pool empties),
 * so no insert ever costs more than O(log n) plus that bounded scan.
 *
 * <p>Complexity: {@link #insert} and {@link #delete} are O(log n); {@link #first} is O(1) and {@link #successor}
 * amortised O(1); inserting after the last node and deleting the first are amortised O(1). The balancing follows
 * {@code java.util.TreeMap} (CLR).
 *
 * <p>Single-threaded: only the owning {@link Pool} calls it. A node's sort fields ({@code key}, {@code seq})
 * must not change while it is in the tree: delete, change, insert.
 */
final class SelectionTree {
    private PoolElement root;
    /** The first node in tree order (cached: round robin and the ordered policies start every resolution here). */
    private PoolElement leftmost;
    /** The last node in tree order (cached: new PEs of the unordered policies always go last). */
    private PoolElement rightmost;
    /** Whether the nodes form a linked list (from {@code leftmost} to {@code rightmost}) instead of a tree. */
    private boolean list;
    private int size;
    /** How far an insert into the list may scan forward from its end before the list turns into a tree. */
    static final int LIST_SCAN_LIMIT = 16;

    /** Sets the shape for the policy (list or tree); only while the tree is empty. */
    void setPolicy(PolicyType type) {
        if (size != 0) {
            throw new IllegalStateException("the policy of a non-empty tree cannot change");
        }
        list = type == PolicyType.ROUND_ROBIN || type == PolicyType.WEIGHTED_ROUND_ROBIN
                || type == PolicyType.RANDOM || type == PolicyType.WEIGHTED_RANDOM
                || type == PolicyType.RANDOMIZED_LEAST_USED;
    }

    /** Whether the nodes are (still) a linked list rather than a tree; see the class comment. */
    boolean isList() {
        return list;
    }

    /** The node after {@code e} in tree order, or {@code null} after the last. Amortised O(1). */
    PoolElement next(PoolElement e) {
        return list ? e.right : successor(e);
    }

    int size() {
        return size;
    }

    /** The tree's total order: sort key, then sequence number, then PE id (unsigned). */
    static boolean less(PoolElement a, PoolElement b) {
        if (a.key != b.key) {
            return a.key < b.key;
        }
        if (a.seq != b.seq) {
            return a.seq < b.seq;
        }
        return Integer.compareUnsigned(a.id, b.id) < 0;
    }

    PoolElement first() {
        return leftmost;
    }

    static PoolElement predecessor(PoolElement e) {
        if (e.left != null) {
            PoolElement x = e.left;
            while (x.right != null) {
                x = x.right;
            }
            return x;
        }
        PoolElement child = e;
        PoolElement x = e.parent;
        while (x != null && child == x.left) {
            child = x;
            x = x.parent;
        }
        return x;
    }

    static PoolElement successor(PoolElement e) {
        if (e.right != null) {
            PoolElement x = e.right;
            while (x.left != null) {
                x = x.left;
            }
            return x;
        }
        PoolElement child = e;
        PoolElement x = e.parent;
        while (x != null && child == x.right) {
            child = x;
            x = x.parent;
        }
        return x;
    }

    /** Inserts a node that is in no tree; its key and seq must already be set. */
    void insert(PoolElement e) {
        if (list && !insertIntoList(e)) {
            toTree();
        } else if (list) {
            return;
        }
        e.left = null;
        e.right = null;
        size++;
        if (root == null) {
            e.parent = null;
            e.red = false;
            root = e;
            leftmost = e;
            rightmost = e;
            return;
        }
        if (less(e, leftmost)) {
            leftmost = e;
        }
        PoolElement last = rightmost;
        if (!less(e, last)) {
            // after every node (a new PE under the unordered policies; a round-robin selection): hang it below
            // the last node without searching
            last.right = e;
            e.parent = last;
            e.red = true;
            rightmost = e;
            fixAfterInsertion(e);
            return;
        }
        PoolElement p = root;
        while (true) {
            if (less(e, p)) {
                if (p.left == null) {
                    p.left = e;
                    break;
                }
                p = p.left;
            } else {
                if (p.right == null) {
                    p.right = e;
                    break;
                }
                p = p.right;
            }
        }
        e.parent = p;
        e.red = true;
        fixAfterInsertion(e);
    }

    /**
     * Links {@code e} into the list after the last node not after it, scanning back from the end.
     *
     * @return false (and nothing changed) when that node is more than {@link #LIST_SCAN_LIMIT} from the end
     */
    private boolean insertIntoList(PoolElement e) {
        PoolElement before = rightmost;
        for (int scanned = 0; before != null && less(e, before); scanned++) {
            if (scanned == LIST_SCAN_LIMIT) {
                return false;
            }
            before = before.left;
        }
        e.parent = null;
        e.red = false;
        e.left = before;
        if (before == null) {
            e.right = leftmost;
            leftmost = e;
        } else {
            e.right = before.right;
            before.right = e;
        }
        if (e.right == null) {
            rightmost = e;
        } else {
            e.right.left = e;
        }
        size++;
        return true;
    }

    /** Turns the list into the tree: its nodes are already in order, so each goes in behind the last. */
    private void toTree() {
        PoolElement[] nodes = new PoolElement[size];
        int n = 0;
        for (PoolElement x = leftmost; x != null; x = x.right) {
            nodes[n++] = x;
        }
        list = false;
        root = null;
        leftmost = null;
        rightmost = null;
        size = 0;
        for (PoolElement x : nodes) {
            insert(x);
        }
    }

    private void deleteFromList(PoolElement p) {
        size--;
        if (p.left == null) {
            leftmost = p.right;
        } else {
            p.left.right = p.right;
        }
        if (p.right == null) {
            rightmost = p.left;
        } else {
            p.right.left = p.left;
        }
        p.left = null;
        p.right = null;
    }

    /** Removes a node that is in this tree. */
    void delete(PoolElement p) {
        if (list) {
            deleteFromList(p);
            return;
        }
        size--;
        if (p == leftmost) {
            leftmost = successor(p); // null when p is the last node
        }
        if (p == rightmost) {
            rightmost = predecessor(p);
        }
        if (p.left != null && p.right != null) {
            swapWithSuccessor(p, successor(p));
        }
        PoolElement replacement = p.left != null ? p.left : p.right;
        if (replacement != null) {
            PoolElement up = p.parent;
            replacement.parent = up;
            if (up == null) {
                root = replacement;
            } else if (p == up.left) {
                up.left = replacement;
            } else {
                up.right = replacement;
            }
            p.left = null;
            p.right = null;
            p.parent = null;
            if (!p.red) {
                fixAfterDeletion(replacement);
            }
        } else if (p.parent == null) {
            root = null;
        } else {
            if (!p.red) {
                fixAfterDeletion(p); // p serves as the phantom leaf while the tree is rebalanced
            }
            PoolElement up = p.parent;
            if (up != null) {
                if (p == up.left) {
                    up.left = null;
                } else if (p == up.right) {
                    up.right = null;
                }
                p.parent = null;
            }
        }
        p.red = false;
    }

    /** Exchanges the positions (links, colour) of {@code a} and its in-order successor {@code s}. */
    private void swapWithSuccessor(PoolElement a, PoolElement s) {
        PoolElement aParent = a.parent;
        PoolElement aLeft = a.left;
        PoolElement aRight = a.right;
        PoolElement sParent = s.parent;
        PoolElement sRight = s.right;
        boolean red = a.red;
        a.red = s.red;
        s.red = red;

        s.parent = aParent;
        if (aParent == null) {
            root = s;
        } else if (aParent.left == a) {
            aParent.left = s;
        } else {
            aParent.right = s;
        }
        s.left = aLeft;
        aLeft.parent = s;
        if (sParent == a) {
            s.right = a;
            a.parent = s;
        } else {
            s.right = aRight;
            aRight.parent = s;
            a.parent = sParent;
            sParent.left = a;
        }
        a.left = null;
        a.right = sRight;
        if (sRight != null) {
            sRight.parent = a;
        }
    }

    /** The 0-based position of {@code e} in tree order. O(n): for tests. */
    int rank(PoolElement e) {
        int rank = 0;
        for (PoolElement x = first(); x != e; x = next(x)) {
            rank++;
        }
        return rank;
    }

    void forEach(Consumer<PoolElement> action) {
        for (PoolElement e = first(); e != null; e = next(e)) {
            action.accept(e);
        }
    }

    // ------------------------------------------------------------------ balancing (after TreeMap / CLR)

    private static boolean isRed(PoolElement e) {
        return e != null && e.red;
    }

    private static PoolElement parentOf(PoolElement e) {
        return e == null ? null : e.parent;
    }

    private static PoolElement leftOf(PoolElement e) {
        return e == null ? null : e.left;
    }

    private static PoolElement rightOf(PoolElement e) {
        return e == null ? null : e.right;
    }

    private static void setRed(PoolElement e, boolean red) {
        if (e != null) {
            e.red = red;
        }
    }

    private void rotateLeft(PoolElement p) {
        PoolElement r = p.right;
        p.right = r.left;
        if (r.left != null) {
            r.left.parent = p;
        }
        r.parent = p.parent;
        if (p.parent == null) {
            root = r;
        } else if (p.parent.left == p) {
            p.parent.left = r;
        } else {
            p.parent.right = r;
        }
        r.left = p;
        p.parent = r;
    }

    private void rotateRight(PoolElement p) {
        PoolElement l = p.left;
        p.left = l.right;
        if (l.right != null) {
            l.right.parent = p;
        }
        l.parent = p.parent;
        if (p.parent == null) {
            root = l;
        } else if (p.parent.right == p) {
            p.parent.right = l;
        } else {
            p.parent.left = l;
        }
        l.right = p;
        p.parent = l;
    }

    private void fixAfterInsertion(PoolElement x) {
        while (x != null && x != root && x.parent.red) {
            if (parentOf(x) == leftOf(parentOf(parentOf(x)))) {
                PoolElement y = rightOf(parentOf(parentOf(x)));
                if (isRed(y)) {
                    setRed(parentOf(x), false);
                    setRed(y, false);
                    setRed(parentOf(parentOf(x)), true);
                    x = parentOf(parentOf(x));
                } else {
                    if (x == rightOf(parentOf(x))) {
                        x = parentOf(x);
                        rotateLeft(x);
                    }
                    setRed(parentOf(x), false);
                    setRed(parentOf(parentOf(x)), true);
                    rotateRight(parentOf(parentOf(x)));
                }
            } else {
                PoolElement y = leftOf(parentOf(parentOf(x)));
                if (isRed(y)) {
                    setRed(parentOf(x), false);
                    setRed(y, false);
                    setRed(parentOf(parentOf(x)), true);
                    x = parentOf(parentOf(x));
                } else {
                    if (x == leftOf(parentOf(x))) {
                        x = parentOf(x);
                        rotateRight(x);
                    }
                    setRed(parentOf(x), false);
                    setRed(parentOf(parentOf(x)), true);
                    rotateLeft(parentOf(parentOf(x)));
                }
            }
        }
        root.red = false;
    }

    private void fixAfterDeletion(PoolElement x) {
        while (x != root && !isRed(x)) {
            if (x == leftOf(parentOf(x))) {
                PoolElement sib = rightOf(parentOf(x));
                if (isRed(sib)) {
                    setRed(sib, false);
                    setRed(parentOf(x), true);
                    rotateLeft(parentOf(x));
                    sib = rightOf(parentOf(x));
                }
                if (!isRed(leftOf(sib)) && !isRed(rightOf(sib))) {
                    setRed(sib, true);
                    x = parentOf(x);
                } else {
                    if (!isRed(rightOf(sib))) {
                        setRed(leftOf(sib), false);
                        setRed(sib, true);
                        rotateRight(sib);
                        sib = rightOf(parentOf(x));
                    }
                    setRed(sib, isRed(parentOf(x)));
                    setRed(parentOf(x), false);
                    setRed(rightOf(sib), false);
                    rotateLeft(parentOf(x));
                    x = root;
                }
            } else {
                PoolElement sib = leftOf(parentOf(x));
                if (isRed(sib)) {
                    setRed(sib, false);
                    setRed(parentOf(x), true);
                    rotateRight(parentOf(x));
                    sib = leftOf(parentOf(x));
                }
                if (!isRed(rightOf(sib)) && !isRed(leftOf(sib))) {
                    setRed(sib, true);
                    x = parentOf(x);
                } else {
                    if (!isRed(leftOf(sib))) {
                        setRed(rightOf(sib), false);
                        setRed(sib, true);
                        rotateLeft(sib);
                        sib = leftOf(parentOf(x));
                    }
                    setRed(sib, isRed(parentOf(x)));
                    setRed(parentOf(x), false);
                    setRed(leftOf(sib), false);
                    rotateRight(parentOf(x));
                    x = root;
                }
            }
        }
        setRed(x, false);
    }

    // ------------------------------------------------------------------ invariants

    /**
     * Verifies every red-black and augmentation invariant: root black with no parent, no red node with a
     * red child, equal black height on every path, parent links, strict key order, and each node's count
     * and weight sum.
     *
     * @throws IllegalStateException naming the first violation found
     */
    void checkInvariants() {
        if (list) {
            checkList();
            return;
        }
        if (root == null) {
            if (leftmost != null || rightmost != null || size != 0) {
                throw new IllegalStateException("empty tree with a cached first or last node, or a size");
            }
            return;
        }
        if (root.red) {
            throw new IllegalStateException("root is red");
        }
        if (root.parent != null) {
            throw new IllegalStateException("root has a parent");
        }
        PoolElement first = root;
        while (first.left != null) {
            first = first.left;
        }
        if (leftmost != first) {
            throw new IllegalStateException("cached first node is stale: " + leftmost + " instead of " + first);
        }
        PoolElement last = root;
        while (last.right != null) {
            last = last.right;
        }
        if (rightmost != last) {
            throw new IllegalStateException("cached last node is stale: " + rightmost + " instead of " + last);
        }
        int[] nodes = new int[1];
        check(root, null, null, nodes);
        if (nodes[0] != size) {
            throw new IllegalStateException("the tree holds " + nodes[0] + " nodes but counts " + size);
        }
    }

    private void checkList() {
        if (root != null) {
            throw new IllegalStateException("a list with a tree root");
        }
        int n = 0;
        PoolElement previous = null;
        for (PoolElement x = leftmost; x != null; x = x.right) {
            if (x.left != previous || x.parent != null) {
                throw new IllegalStateException("broken list link at " + x);
            }
            if (previous != null && !less(previous, x)) {
                throw new IllegalStateException("list order violated at " + x);
            }
            if (++n > size) {
                throw new IllegalStateException("the list holds more nodes than it counts (" + size + ")");
            }
            previous = x;
        }
        if (previous != rightmost || n != size) {
            throw new IllegalStateException("the list's last node or count is stale: " + n + " of " + size);
        }
    }

    /** Returns the black height of the subtree. */
    private int check(PoolElement e, PoolElement lowerBound, PoolElement upperBound, int[] nodes) {
        if (e == null) {
            return 1;
        }
        nodes[0]++;
        if (lowerBound != null && !less(lowerBound, e)) {
            throw new IllegalStateException("key order violated at " + e);
        }
        if (upperBound != null && !less(e, upperBound)) {
            throw new IllegalStateException("key order violated at " + e);
        }
        if (e.left != null && e.left.parent != e || e.right != null && e.right.parent != e) {
            throw new IllegalStateException("broken parent link below " + e);
        }
        if (e.red && (isRed(e.left) || isRed(e.right))) {
            throw new IllegalStateException("red node with a red child: " + e);
        }
        int leftHeight = check(e.left, lowerBound, e, nodes);
        int rightHeight = check(e.right, e, upperBound, nodes);
        if (leftHeight != rightHeight) {
            throw new IllegalStateException("unequal black height below " + e);
        }
        return leftHeight + (e.red ? 0 : 1);
    }
}
