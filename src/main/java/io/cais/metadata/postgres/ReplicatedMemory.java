package io.cais.metadata.postgres;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a replica remembers of rows that any replica (or an operator's SQL) can change: forgotten on every
 * notification of its channel, and not kept at all while the {@link ChangeListener} is deaf, since a change could
 * then go unheard. A subclass reads its memory only while {@link #remembering()}, takes {@link #generation()} before
 * it reads PostgreSQL, and keeps what it read through {@link #remember}, which drops it when anything changed in
 * between (a racing change must not be undone).
 */
public abstract class ReplicatedMemory implements ChangeSubscriber {

    private final AtomicLong generation = new AtomicLong();
    private volatile boolean remembering;

    /** Drops everything remembered; called with the memory's lock held. */
    protected abstract void clear();

    /** Whether what is remembered may be used (the listener is connected). */
    protected final boolean remembering() {
        return remembering;
    }

    /** Changes whenever what is remembered may be wrong. */
    protected final long generation() {
        return generation.get();
    }

    /** Called by the replica that made a change, so that its own next request sees it before the notification. */
    public final synchronized void forget() {
        generation.incrementAndGet();
        clear();
    }

    protected final synchronized void remember(long seen, Runnable store) {
        if (remembering && generation.get() == seen) {
            store.run();
        }
    }

    @Override
    public final void notified(String payload) {
        forget();
    }

    @Override
    public final synchronized void listening() {
        forget();
        remembering = true;
    }

    @Override
    public final synchronized void deaf() {
        remembering = false;
        forget();
    }
}
