package io.cais.proxy;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.UpstreamStore;
import io.cais.metadata.UpstreamStore.StoredUpstream;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The configured upstreams, as every pull of a repository asks "is this a cache namespace?". The whole list is small
 * and read at most every {@code cais.proxy.upstream-refresh} per replica (forgotten at once on this replica's own
 * changes), so the question costs no query on the hot path.
 *
 * <p>One request reads it when it is due, not every request that asks meanwhile: on a busy replica dozens of pulls
 * are in flight at that moment, and each reading it took every pooled connection at once (the node scale-up storm
 * of bench/storm.sh, the kubelet cycle), so that the other queries waited out the pool's acquisition timeout and the
 * replica answered 503. While one request reads a due list, the others answer from the previous one; after
 * {@link #forget}, they wait for the new one.
 */
@ApplicationScoped
public class Upstreams {

    private static final Logger LOG = Logger.getLogger(Upstreams.class);

    /**
     * What an admin asks for; {@code password} null keeps the stored one on update, {@code maxRequestsPerMinute} null
     * is no rate limit.
     */
    public record Settings(String url, String namespace, String username, String password, int maxConcurrency,
                           Integer maxRequestsPerMinute) {
    }

    private record Snapshot(Map<String, Upstream> byName, Map<String, Upstream> byNamespace, long loadedAt) {
    }

    @Inject
    UpstreamStore store;

    @Inject
    NamespaceStore namespaces;

    @Inject
    CredentialSeal seal;

    @Inject
    ProxyConfig config;

    private volatile Snapshot snapshot;
    /** Held by the one request that reads the list. */
    private final ReentrantLock reading = new ReentrantLock();
    /** Counts {@link #forget}s, so that a read that began before one does not keep the list it read. */
    private final AtomicLong forgotten = new AtomicLong();

    /** The upstream a repository caches, when its namespace is a cache namespace. */
    public Optional<Upstream> forRepository(String repository) {
        int slash = repository.indexOf('/');
        return slash < 0 ? Optional.empty() : Optional.ofNullable(current().byNamespace().get(repository.substring(0, slash)));
    }

    /** The upstream of that name ({@code docker.io}): what a mirror request's {@code ns} names. */
    public Optional<Upstream> named(String name) {
        return Optional.ofNullable(current().byName().get(name));
    }

    public List<StoredUpstream> list() {
        return store.list();
    }

    public Optional<StoredUpstream> find(String name) {
        return store.find(name);
    }

    /** Adds an upstream, creating its namespace (private) when it does not exist yet. */
    public StoredUpstream create(String name, Settings settings) {
        if (namespaces.find(settings.namespace()).isEmpty()) {
            try {
                namespaces.create(settings.namespace(), "private", false, "keep");
            } catch (RegistryException e) {
                if (e.code() != ErrorCode.CONFLICT) {
                    throw e; // another admin created it meanwhile: fine
                }
            }
        }
        if (!store.create(name, settings.url(), settings.namespace(), settings.username(), seal.seal(settings.password()),
                settings.maxConcurrency(), settings.maxRequestsPerMinute())) {
            throw new RegistryException(ErrorCode.CONFLICT, "an upstream named '" + name + "' or one cached by namespace '"
                    + settings.namespace() + "' exists already", name);
        }
        forget();
        return store.find(name).orElseThrow();
    }

    public StoredUpstream update(String name, Settings settings) {
        StoredUpstream stored = store.find(name).orElseThrow(() -> unknown(name));
        String password = settings.password() == null ? stored.password() : seal.seal(settings.password());
        String username = settings.username() == null && settings.password() == null ? stored.username() : settings.username();
        if (!store.update(name, settings.url(), username, password, settings.maxConcurrency(),
                settings.maxRequestsPerMinute())) {
            throw unknown(name);
        }
        forget();
        return store.find(name).orElseThrow(() -> unknown(name));
    }

    public void delete(String name) {
        if (!store.delete(name)) {
            throw unknown(name);
        }
        forget();
    }

    static RegistryException unknown(String name) {
        return new RegistryException(ErrorCode.NOT_FOUND, "upstream '" + name + "' does not exist", name);
    }

    void forget() {
        forgotten.incrementAndGet();
        snapshot = null;
    }

    private Snapshot current() {
        Snapshot known = snapshot;
        if (known != null && fresh(known)) {
            return known;
        }
        if (known != null && !reading.tryLock()) {
            return known; // another request is reading it: this one answers as it would have a moment ago
        }
        if (known == null) {
            reading.lock();
        }
        try {
            Snapshot again = snapshot;
            if (again != null && (fresh(again) || again != known)) {
                return again;
            }
            long generation = forgotten.get();
            Snapshot read = read();
            if (forgotten.get() == generation) {
                snapshot = read;
            }
            return read;
        } finally {
            reading.unlock();
        }
    }

    private boolean fresh(Snapshot known) {
        return System.nanoTime() - known.loadedAt() < config.upstreamRefresh().toNanos();
    }

    private Snapshot read() {
        Map<String, Upstream> byName = new HashMap<>();
        Map<String, Upstream> byNamespace = new HashMap<>();
        for (StoredUpstream stored : store.list()) {
            Optional<String> password = seal.open(stored.password());
            if (stored.password() != null && password.isEmpty()) {
                LOG.warnf("the password of upstream %s cannot be opened with cais.proxy.credentials-key: pulling anonymously",
                        stored.name());
            }
            Upstream upstream = new Upstream(stored.name(), URI.create(stored.url()), stored.namespace(),
                    password.isPresent() ? stored.username() : null, password.orElse(null), stored.maxConcurrency(),
                    stored.maxRequestsPerMinute());
            byName.put(stored.name(), upstream);
            byNamespace.put(stored.namespace(), upstream);
        }
        return new Snapshot(Map.copyOf(byName), Map.copyOf(byNamespace), System.nanoTime());
    }
}
