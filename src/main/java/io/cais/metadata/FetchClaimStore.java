package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;

/**
 * Claims of the pull-through cache ({@code proxy_fetch_claim}): which replica fetches a manifest or blob from the
 * upstream now, so that N replicas make one upstream request, not N. Every method is one statement in autocommit.
 *
 * <p>Locking rule 9 (see docs/architecture.md): a claim is taken by one {@code INSERT … ON CONFLICT DO UPDATE …
 * WHERE heartbeat is stale … RETURNING}. Two replicas claiming the same key at once: the second waits for the
 * first's row lock (its statement commits at once), re-evaluates the {@code WHERE} against the committed row —
 * whose heartbeat is fresh — updates nothing and gets no row: exactly one holds the claim. A stale claim is taken over
 * the same way, by one replica. The holder refreshes and deletes its claims only where {@code replica} is still its
 * own, so a replica that was taken over (it stalled past the expiry) never refreshes or deletes the new holder's
 * claim. No statement locks more than one claim row, so claims never deadlock.
 */
@ApplicationScoped
public class FetchClaimStore {

    @Inject
    Jdbc jdbc;

    /**
     * Claims {@code resource} ({@code manifests/<reference>}, {@code blobs/<digest>}) of the repository for the replica;
     * true when it holds the claim now (new, or taken over from a holder silent for longer than {@code expiry}), false
     * when another replica's live claim holds it.
     */
    public boolean claim(String repository, String resource, String replica, Duration expiry) {
        return jdbc.first("INSERT INTO proxy_fetch_claim (repository, resource, replica) VALUES (?, ?, ?) "
                        + "ON CONFLICT (repository, resource) DO UPDATE SET replica = EXCLUDED.replica, heartbeat = now() "
                        + "WHERE proxy_fetch_claim.heartbeat < now() - make_interval(secs => ?) RETURNING replica",
                row -> row.getString(1), repository, resource, replica, seconds(expiry)).isPresent();
    }

    /** Refreshes the heartbeat of every claim the replica holds. */
    public void refresh(String replica) {
        jdbc.update("UPDATE proxy_fetch_claim SET heartbeat = now() WHERE replica = ?", replica);
    }

    /** Gives the claim up (the fetch is done or failed), if the replica still holds it. */
    public void release(String repository, String resource, String replica) {
        jdbc.update("DELETE FROM proxy_fetch_claim WHERE repository = ? AND resource = ? AND replica = ?",
                repository, resource, replica);
    }

    /** Deletes claims silent for longer than {@code expiry} (their replica died); returns how many. */
    public int deleteStale(Duration expiry) {
        return jdbc.update("DELETE FROM proxy_fetch_claim WHERE heartbeat < now() - make_interval(secs => ?)",
                seconds(expiry));
    }

    static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }
}
