package io.cais.metadata;

import io.cais.content.Digest;

/**
 * PostgreSQL advisory locks Cais takes, by (class, key) so they cannot collide with another application's. The
 * digest lock closes the race between the sweep deleting a stored object that no {@code blob} row records and a
 * push that found that object already stored and is about to record it: the push holds it shared from its check
 * that the object is still there until its row commits, the sweep holds it exclusively from its check that there
 * is no row until the object is deleted. Hash collisions of digests only make two of these wait for each other.
 */
final class AdvisoryLocks {

    /** Key class of the per-digest locks ("CAI" then 1). */
    private static final int DIGEST = 0x43414901;
    /** Key class of the one sweep lock: one replica sweeps at a time. */
    static final int SWEEP = 0x43414902;
    /** Key class of the retention locks, one per namespace (keyed by its id): one run of a namespace at a time. */
    static final int RETENTION = 0x43414903;

    private AdvisoryLocks() {
    }

    /** Until the transaction ends; others may share it, the sweep waits. */
    static void shareDigest(Jdbc jdbc, Digest digest) {
        jdbc.first("SELECT pg_advisory_xact_lock_shared(?, hashtext(?))", row -> Boolean.TRUE, DIGEST, digest.toString());
    }

    /** Until the transaction ends, exclusively. */
    static void lockDigest(Jdbc jdbc, Digest digest) {
        jdbc.first("SELECT pg_advisory_xact_lock(?, hashtext(?))", row -> Boolean.TRUE, DIGEST, digest.toString());
    }
}
