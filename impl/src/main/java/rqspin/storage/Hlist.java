package rqspin.storage;

/**
 * An RCU hash list ({@code struct hlist_head} with {@code hlist_add_head_rcu}
 * and {@code hlist_del_init_rcu}): a bucket's list of selems (through
 * {@code map_node}) or a local storage's list (through {@code snode}).
 *
 * <p>Writers hold the list's lock (the bucket's or the storage's), except
 * when linking into a storage that is not yet published. Readers walk
 * {@code first} and {@code next} without a lock, inside an RCU read-side
 * section. A deleted node is unhashed ({@code pprev = NULL}, here
 * {@code list = null}) but keeps its {@code next}, so a walker standing on it
 * goes on to the node that followed it. Deleting an unhashed node does
 * nothing.
 */
final class Hlist {
    /** First node; written under the list's lock, read by RCU walkers. */
    private volatile Node first;
    private final String name;
    private final Kernel kernel;
    /** The map (bucket list) or local storage (storage list) this list belongs to. */
    final Freeable holder;

    Hlist(Kernel kernel, Freeable holder, String name) {
        this.kernel = kernel;
        this.holder = holder;
        this.name = name;
    }

    /** {@code hlist_first_rcu}. */
    Node first() {
        return first;
    }

    /** {@code hlist_empty}. */
    boolean isEmpty() {
        return first == null;
    }

    /** {@code hlist_add_head_rcu}. */
    void addHead(Node n) {
        n.elem.use(n.addAccess);
        Node f = first;
        n.next = f;
        n.prev = null;
        n.list = this;
        if (f != null) {
            f.elem.use(f.writePprev);
            f.prev = n;
        }
        first = n; // publish
    }

    /** {@code hlist_del_init_rcu}: unhash {@code n}, keep its next; no-op if unhashed. */
    void del(Node n) {
        n.elem.use(n.delAccess);
        Hlist l = n.list;
        if (l == null) {
            return;
        }
        if (l != this) {
            kernel.audit.record(Violation.Property.LIST_INTEGRITY, n.elem + "." + n.field + " is on " + l.name
                    + " but was unlinked under the lock of " + name, null);
            return;
        }
        Node next = n.next;
        Node prev = n.prev;
        if (prev == null) {
            first = next;
        } else {
            prev.elem.use(prev.writeNext);
            prev.next = next;
        }
        if (next != null) {
            next.elem.use(next.writePprev);
            next.prev = prev;
        }
        n.prev = null;
        n.list = null;
    }

    /** {@code hlist_is_singular_node(n, h)}: {@code n} is the only node. */
    boolean isSingular(Node n) {
        return first == n && n.nextRcu() == null;
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * {@code struct hlist_node} of an selem: {@code map_node} or
     * {@code snode}. {@code next} is read by RCU walkers; {@code prev} and
     * {@code list} are written under the list's lock ({@code list} is read
     * without it by {@code hlist_unhashed_lockless}).
     */
    static final class Node {
        final Selem elem;
        final String field;
        private volatile Node next;
        private Node prev;
        private volatile Hlist list;

        private final String addAccess;
        private final String delAccess;
        private final String readNext;
        private final String readPprev;
        private final String writeNext;
        private final String writePprev;

        Node(Selem elem, String field) {
            this.elem = elem;
            this.field = field;
            this.addAccess = "hlist_add_head_rcu(&" + field + ")";
            this.delAccess = "hlist_del_init_rcu(&" + field + ")";
            this.readNext = "read " + field + ".next";
            this.readPprev = "read " + field + ".pprev";
            this.writeNext = "write " + field + ".next";
            this.writePprev = "write " + field + ".pprev";
        }

        /** {@code rcu_dereference(n->next)}: an access to the selem. */
        Node nextRcu() {
            elem.use(readNext);
            return next;
        }

        /** {@code !hlist_unhashed(n)}: an access to the selem. */
        boolean isHashed() {
            elem.use(readPprev);
            return list != null;
        }

        /** {@code next} without an access check (audit only). */
        Node nextForAudit() {
            return next;
        }

        /** The list holding the node (audit only: no access check). */
        Hlist listForAudit() {
            return list;
        }
    }
}
