package rqspin.storage;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The references that keep a map or an owner in use while a BPF program or
 * syscall runs on it (the map's {@code refcnt}, the socket's
 * {@code sk_refcnt}). The kernel calls map_free and destroy only after the
 * last reference is gone; the Java twin closes the count first (new
 * operations are rejected with {@link BadInputException}) and waits for the
 * operations in flight. Word: the number of users, plus {@link #CLOSED}.
 */
final class UseCount {
    private static final int CLOSED = 1 << 30;
    private final AtomicInteger word = new AtomicInteger();

    /** One more user, unless closed. */
    boolean tryAcquire() {
        for (;;) {
            int c = word.get();
            if ((c & CLOSED) != 0) {
                return false;
            }
            if (word.compareAndSet(c, c + 1)) {
                return true;
            }
        }
    }

    void release() {
        word.getAndAdd(-1);
    }

    /** Closes; false if it was closed already. */
    boolean close() {
        for (;;) {
            int c = word.get();
            if ((c & CLOSED) != 0) {
                return false;
            }
            if (word.compareAndSet(c, c | CLOSED)) {
                return true;
            }
        }
    }

    /** Waits until no user is left (after {@link #close}). */
    void awaitNoUsers() {
        while ((word.get() & ~CLOSED) != 0) {
            Thread.yield();
        }
    }

    /** Whether no user is left (closed or not). */
    boolean noUsers() {
        return (word.get() & ~CLOSED) == 0;
    }

    boolean isClosed() {
        return (word.get() & CLOSED) != 0;
    }
}
