package rqspin.kernel;

/**
 * An RCU hash list ({@code struct hlist_head} with {@code hlist_add_head_rcu}
 * and {@code hlist_del_init_rcu}) of the nodes embedded in objects of type
 * {@code E}: in the local storage a bucket's list of selems (through
 * {@code map_node}) or a local storage's list (through {@code snode}).
 *
 * <p>Writers hold the list's lock (the bucket's or the storage's), except
 * when linking into a list that is not yet published. Readers walk
 * {@code first} and {@code next} without a lock, inside an RCU read-side
 * section. A deleted node is unhashed ({@code pprev = NULL}, here
 * {@code list = null}) but keeps its {@code next}, so a walker standing on it
 * goes on to the node that followed it. Deleting an unhashed node does
 * nothing; deleting a node of another list is reported as list corruption
 * and does nothing either.
 *
 * <p>Every access to a node is an access to the object that embeds it
 * ({@link Freeable#use}): a walk onto freed memory is a use after free.
 *
 * @param <E> the objects whose nodes the list links
 */
public final class Hlist<E extends Freeable> {
    /** First node; written under the list's lock, read by RCU walkers. */
    private volatile Node<E> first;
    private final String name;
    private final Sanitizer sanitizer;
    /** The object this list belongs to (a map for a bucket list, a local storage for a storage list). */
    private final Freeable holder;

    /** An empty list of {@code holder}, named for messages (e.g. "ls1-&gt;list"). */
    public Hlist(Sanitizer sanitizer, Freeable holder, String name) {
        this.sanitizer = sanitizer;
        this.holder = holder;
        this.name = name;
    }

    /** The object this list belongs to. */
    public Freeable holder() {
        return holder;
    }

    /** {@code hlist_first_rcu}. */
    public Node<E> first() {
        return first;
    }

    /** {@code hlist_empty}. */
    public boolean isEmpty() {
        return first == null;
    }

    /** {@code hlist_add_head_rcu}. */
    public void addHead(Node<E> n) {
        n.elem.use(n.addAccess);
        Node<E> f = first;
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
    public void del(Node<E> n) {
        n.elem.use(n.delAccess);
        Hlist<E> l = n.list;
        if (l == null) {
            return;
        }
        if (l != this) {
            sanitizer.listCorruption(n.elem + "." + n.field + " is on " + l.name + " but was unlinked under the lock of "
                    + name);
            return;
        }
        Node<E> next = n.next;
        Node<E> prev = n.prev;
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
    public boolean isSingular(Node<E> n) {
        return first == n && n.nextRcu() == null;
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * {@code struct hlist_node}, embedded in {@code elem} as its field
     * {@code field} (e.g. an selem's {@code map_node} or {@code snode}).
     * {@code next} is read by RCU walkers; {@code prev} and {@code list} are
     * written under the list's lock ({@code list} is read without it by
     * {@code hlist_unhashed_lockless}).
     *
     * @param <E> the object that embeds the node
     */
    public static final class Node<E extends Freeable> {
        private final E elem;
        private final String field;
        private volatile Node<E> next;
        private Node<E> prev;
        private volatile Hlist<E> list;

        private final String addAccess;
        private final String delAccess;
        private final String readNext;
        private final String readPprev;
        private final String writeNext;
        private final String writePprev;

        /** The unhashed node {@code field} of {@code elem}. */
        public Node(E elem, String field) {
            this.elem = elem;
            this.field = field;
            this.addAccess = "hlist_add_head_rcu(&" + field + ")";
            this.delAccess = "hlist_del_init_rcu(&" + field + ")";
            this.readNext = "read " + field + ".next";
            this.readPprev = "read " + field + ".pprev";
            this.writeNext = "write " + field + ".next";
            this.writePprev = "write " + field + ".pprev";
        }

        /** The object that embeds the node ({@code hlist_entry}). */
        public E elem() {
            return elem;
        }

        /** {@code rcu_dereference(n->next)}: an access to the object. */
        public Node<E> nextRcu() {
            elem.use(readNext);
            return next;
        }

        /** {@code !hlist_unhashed(n)}: an access to the object. */
        public boolean isHashed() {
            elem.use(readPprev);
            return list != null;
        }

        /** {@code next} without an access check (audit only). */
        public Node<E> nextForAudit() {
            return next;
        }

        /** The list holding the node, or null (audit only: no access check). */
        public Hlist<E> listForAudit() {
            return list;
        }
    }
}
