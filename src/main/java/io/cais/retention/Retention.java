package io.cais.retention;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.manifest.ManifestCache;
import io.cais.metadata.RetentionStore;
import io.cais.metadata.TagGuard;
import io.cais.metadata.TagPolicyStore;
import io.cais.metadata.TagPolicyStore.StoredTagPolicy;
import io.cais.metadata.RetentionStore.Deleted;
import io.cais.metadata.RetentionStore.Deletion;
import io.cais.metadata.RetentionStore.Repository;
import io.cais.metadata.RetentionStore.Rule;
import io.cais.metadata.RetentionStore.TagTarget;
import io.cais.retention.RetentionPlan.Decision;
import io.cais.stats.PullStatistics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a namespace's retention rules ({@link RetentionPlan}): a dry run answers what a run would delete now; a run
 * deletes it, repository by repository ({@link RetentionStore#delete}), and records what it deleted and why. The
 * garbage collector then reclaims the blobs. One run of a namespace at a time, on any replica (a PostgreSQL advisory
 * lock per namespace).
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);

    /** What a run deleted, or a dry run would: tags and manifests (by repository, then name), and the blob bytes freed. */
    public record Outcome(boolean dryRun, Long runId, List<Deletion> tags, List<Deletion> manifests, long bytes) {
    }

    @Inject
    RetentionStore store;

    @Inject
    RetentionConfig config;

    @Inject
    PullStatistics pulls;

    @Inject
    ManifestCache cache;

    @Inject
    Clock clock;

    @Inject
    TagPolicyStore tagPolicies;

    @Inject
    TagGuard tagGuard;

    /** What {@link #run} would delete now. */
    public Outcome dryRun(String namespace) {
        pulls.flush();
        List<Planned> plans = plan(namespace);
        return new Outcome(true, null, tags(plans), manifests(plans), store.freedBytes(manifestIds(plans)));
    }

    /** Runs the namespace's rules now; 409 when a run of the namespace is under way. */
    public Outcome run(String namespace, String startedBy) {
        return tryRun(namespace, startedBy).orElseThrow(() -> new RegistryException(ErrorCode.CONFLICT,
                "a retention run of this namespace is under way", namespace));
    }

    /** Runs the namespace's rules unless a run of it is under way (on any replica): then empty. */
    public Optional<Outcome> tryRun(String namespace, String startedBy) {
        Optional<AutoCloseable> lock = store.tryLock(namespace);
        if (lock.isEmpty()) {
            return Optional.empty();
        }
        try (AutoCloseable held = lock.get()) {
            return Optional.of(runLocked(namespace, startedBy));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Outcome runLocked(String namespace, String startedBy) {
        pulls.flush(); // this replica's latest pulls count before deciding
        long runId = store.startRun(namespace, startedBy, clock.instant());
        List<Deletion> deletions = new ArrayList<>();
        long bytes = 0;
        String error = null;
        try {
            List<Planned> plans = plan(namespace);
            bytes = store.freedBytes(manifestIds(plans));
            for (Planned planned : plans) {
                deletions.addAll(execute(planned));
            }
        } catch (RuntimeException e) {
            error = e.toString();
            LOG.warnf(e, "retention of namespace %s stopped; it resumes with the next run", namespace);
        } finally {
            store.finishRun(runId, deletions, bytes, error, clock.instant());
        }
        List<Deletion> tags = deletions.stream().filter(d -> d.tag() != null).toList();
        List<Deletion> manifests = deletions.stream().filter(d -> d.tag() == null).toList();
        return new Outcome(false, runId, tags, manifests, bytes);
    }

    /** Deletes what was decided for one repository; what was actually deleted (a concurrent push may keep some). */
    private List<Deletion> execute(Planned planned) {
        Decision decision = planned.decision();
        Deleted deleted;
        try {
            deleted = store.delete(planned.repository().id(),
                    decision.tags().stream().map(t -> new TagTarget(t.tag(), t.manifestId())).toList(),
                    new HashSet<>(decision.manifests().stream().map(RetentionPlan.ManifestDeletion::id).toList()));
        } finally {
            cache.evict(planned.repository().name());
        }
        String repository = planned.repository().name();
        List<Deletion> done = new ArrayList<>();
        decision.tags().stream().filter(t -> deleted.tags().contains(t.tag()))
                .forEach(t -> done.add(new Deletion(repository, t.tag(), t.digest(), t.reason(), t.rules())));
        decision.manifests().stream().filter(m -> deleted.manifests().contains(m.id()))
                .forEach(m -> done.add(new Deletion(repository, null, m.digest(), m.reason(), m.rules())));
        return done;
    }

    private record Planned(Repository repository, Decision decision) {
    }

    private List<Planned> plan(String namespace) {
        List<Rule> rules = store.rules(namespace);
        if (rules.isEmpty()) {
            return List.of();
        }
        Instant now = clock.instant();
        // What a tag policy makes immutable is never deleted by retention either.
        List<StoredTagPolicy> policies = tagPolicies.list(namespace);
        List<Planned> plans = new ArrayList<>();
        for (Repository repository : store.repositories(namespace)) {
            List<Rule> applicable = RetentionPlan.applicable(rules, relativeName(namespace, repository.name()));
            if (applicable.isEmpty()) {
                continue;
            }
            Decision decision = RetentionPlan.decide(applicable, store.content(repository.id()), now,
                    config.protectionWindow(), tag -> tagGuard.immutable(policies, repository.name(), tag).isPresent());
            if (!decision.isEmpty()) {
                plans.add(new Planned(repository, decision));
            }
        }
        return plans;
    }

    /** The repository's name within its namespace: what rule globs match ({@code library}'s bare names as they are). */
    static String relativeName(String namespace, String repository) {
        String prefix = namespace + "/";
        return repository.startsWith(prefix) ? repository.substring(prefix.length()) : repository;
    }

    private static List<Deletion> tags(List<Planned> plans) {
        return plans.stream().flatMap(p -> p.decision().tags().stream()
                .map(t -> new Deletion(p.repository().name(), t.tag(), t.digest(), t.reason(), t.rules()))).toList();
    }

    private static List<Deletion> manifests(List<Planned> plans) {
        return plans.stream().flatMap(p -> p.decision().manifests().stream()
                .map(m -> new Deletion(p.repository().name(), null, m.digest(), m.reason(), m.rules()))).toList();
    }

    private static Set<Long> manifestIds(List<Planned> plans) {
        Set<Long> ids = new HashSet<>();
        plans.forEach(p -> p.decision().manifests().forEach(m -> ids.add(m.id())));
        return ids;
    }
}
