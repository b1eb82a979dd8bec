package io.cais.metadata;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.cais.metadata.postgres.ReplicatedMemory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What this replica remembers of the rows every login and permission check reads: accounts by name, and a
 * namespace with an account's role on it. A kubelet logs in again for every pod start, so without this each cycle
 * reads both from PostgreSQL. Forgotten whenever any replica (or an operator's SQL) changes an account, a namespace
 * or a membership (the V12 triggers' notifications), and at once by the replica that changes one (its stores call
 * {@link #forget()}); nothing is remembered while the change listener is deaf.
 */
@ApplicationScoped
public class AccessRows extends ReplicatedMemory {

    static final String CHANNEL = "cais_access_change";
    private static final int MAX_ENTRIES = 10_000;
    /** A bound on staleness that does not depend on notifications at all. */
    private static final Duration MAX_AGE = Duration.ofMinutes(10);

    @Inject
    TransactionSynchronizationRegistry transactions;

    private final Cache<String, Optional<Account>> accounts = cache();
    private final Cache<String, Optional<NamespaceAccess>> namespaces = cache();

    @Override
    public String channel() {
        return CHANNEL;
    }

    Optional<Account> account(String name, Supplier<Optional<Account>> load) {
        return remembered(accounts, name, load);
    }

    Optional<NamespaceAccess> namespace(String name, long accountId, Supplier<Optional<NamespaceAccess>> load) {
        return remembered(namespaces, accountId + "|" + name, load);
    }

    private <T> Optional<T> remembered(Cache<String, Optional<T>> cache, String key, Supplier<Optional<T>> load) {
        if (remembering()) {
            Optional<T> known = cache.getIfPresent(key);
            if (known != null) {
                return known;
            }
        }
        long seen = generation();
        Optional<T> loaded = load.get();
        remember(seen, () -> cache.put(key, loaded));
        return loaded;
    }

    /**
     * Called inside a transaction that writes an account, a namespace or a membership: forgets when it commits, so
     * this replica's next request reads what was written without waiting for the notification.
     */
    void changedInThisTransaction() {
        transactions.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                forget();
            }
        });
    }

    @Override
    protected void clear() {
        accounts.invalidateAll();
        namespaces.invalidateAll();
    }

    private static <T> Cache<String, T> cache() {
        return Caffeine.newBuilder().maximumSize(MAX_ENTRIES).expireAfterWrite(MAX_AGE).build();
    }
}
