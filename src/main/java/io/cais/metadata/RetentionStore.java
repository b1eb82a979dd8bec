package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Retention: the rules of each namespace ({@code retention_rule}), what a run needs to know of a repository (its tags
 * and manifests with their push and pull times), the deletions themselves, and the record of each run.
 *
 * <p>Locking rules of a run's deletions ({@link #delete}), one transaction per repository:
 * <ul>
 *   <li>The tags are locked {@code FOR UPDATE} in name order, then deleted if they still point at the manifest the
 *   run decided on (a tag moved meanwhile stays). A push moving one of them waits, then finds it gone and inserts it.</li>
 *   <li>The manifests are then locked {@code FOR UPDATE SKIP LOCKED}, as the garbage collector does (locking rule 4):
 *   one a push holds is skipped (it stays); a push that comes later waits for the commit and finds it gone (its tag
 *   inserts it again, locking rule 3; an index that lists it is refused, 400). Which of the locked manifests may go
 *   is decided in new statements, whose snapshot includes every push that committed before the lock: a manifest still
 *   tagged, listed by an index or naming a subject that stays is dropped from the set, again until the set is
 *   stable, and only then is the set deleted. Nothing is left dangling.</li>
 *   <li>Nothing here waits for a push's row while holding a manifest: tags first (they are what pushes wait for),
 *   manifests never waited for.</li>
 * </ul>
 * The deletions fire the V4 notifications (every replica's manifest cache forgets the repository) and the V9 review
 * triggers: the garbage collector then deletes the unreferenced links and blobs.
 */
@ApplicationScoped
public class RetentionStore {

    /**
     * One rule: which repositories of the namespace it applies to (a glob relative to the namespace), its keep-rules
     * (null when absent) and its age for untagged manifests.
     */
    public record Rule(int position, String repositories, Integer keepLast, Integer keepPulledDays, List<String> keepTags,
                       Integer untaggedDays) {
    }

    /** A repository of the namespace. */
    public record Repository(long id, String name) {
    }

    /** A tag as retention sees it: its manifest, when it was pushed and last pulled (null: never). */
    public record TagRow(String name, long manifestId, Instant pushedAt, Instant lastPulledAt) {
    }

    /** A manifest as retention sees it. */
    public record ManifestRow(long id, String digest, String mediaType, String subjectDigest, Instant pushedAt,
                              Instant lastPulledAt) {
    }

    /** A repository's tags, manifests and index → child digests. */
    public record Content(List<TagRow> tags, List<ManifestRow> manifests, Map<Long, List<String>> children) {
    }

    /** A tag a run deletes, if it still points at that manifest. */
    public record TagTarget(String name, long manifestId) {
    }

    /** What a deletion actually deleted. */
    public record Deleted(Set<String> tags, Set<Long> manifests) {
    }

    /** A run as recorded. */
    public record Run(long id, String namespace, String startedBy, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                      int tags, int manifests, long bytes, String error) {
    }

    /** One deletion of a run: a tag (tag not null) or a manifest; why, and the positions of the rules that decided. */
    public record Deletion(String repository, String tag, String digest, String reason, List<Integer> rules) {
    }

    private static final String RUN_COLUMNS = "SELECT r.id, n.name, r.started_by, r.started_at, r.finished_at, r.tags, "
            + "r.manifests, r.bytes, r.error FROM retention_run r JOIN namespace n ON n.id = r.namespace_id ";

    @Inject
    Jdbc jdbc;

    /** The namespace's rules by position; empty when it has none. */
    public List<Rule> rules(String namespace) {
        return jdbc.list("SELECT r.position, r.repositories, r.keep_last, r.keep_pulled_days, r.keep_tags, r.untagged_days "
                + "FROM retention_rule r JOIN namespace n ON n.id = r.namespace_id WHERE n.name = ? ORDER BY r.position",
                RetentionStore::rule, namespace);
    }

    /** Replaces the namespace's rules, one transaction. */
    @Transactional
    public void replaceRules(String namespace, List<Rule> rules) {
        jdbc.update("DELETE FROM retention_rule r USING namespace n WHERE n.id = r.namespace_id AND n.name = ?", namespace);
        if (!rules.isEmpty()) {
            jdbc.batch("INSERT INTO retention_rule (namespace_id, position, repositories, keep_last, keep_pulled_days, "
                    + "keep_tags, untagged_days) SELECT id, ?::int, ?, ?::int, ?::int, ?::varchar[], ?::int FROM namespace WHERE name = ?",
                    rules.stream().map(r -> new Object[]{r.position(), r.repositories(), r.keepLast(), r.keepPulledDays(),
                            r.keepTags() == null ? null : r.keepTags().toArray(String[]::new), r.untaggedDays(), namespace})
                            .toList());
        }
    }

    /** The namespaces that have rules, by name. */
    public List<String> namespacesWithRules() {
        return jdbc.list("SELECT n.name FROM namespace n WHERE EXISTS (SELECT 1 FROM retention_rule r "
                + "WHERE r.namespace_id = n.id) ORDER BY n.name", row -> row.getString(1));
    }

    /** The namespace's repositories, by name (the V10 index on repository.namespace). */
    public List<Repository> repositories(String namespace) {
        return jdbc.list("SELECT id, name FROM repository WHERE namespace = ? ORDER BY name",
                row -> new Repository(row.getLong(1), row.getString(2)), namespace);
    }

    /** What retention decides from: the repository's tags and manifests with push and pull times, and index children. */
    public Content content(long repositoryId) {
        List<TagRow> tags = jdbc.list("SELECT t.name, t.manifest_id, t.updated_at, p.last_pulled_at FROM tag t "
                        + "LEFT JOIN tag_pull p ON p.repository_id = t.repository_id AND p.name = t.name WHERE t.repository_id = ?",
                row -> new TagRow(row.getString(1), row.getLong(2), instant(row, 3), instant(row, 4)), repositoryId);
        List<ManifestRow> manifests = jdbc.list("SELECT m.id, m.digest, m.media_type, m.subject_digest, m.created_at, "
                        + "p.last_pulled_at FROM manifest m LEFT JOIN manifest_pull p ON p.manifest_id = m.id WHERE m.repository_id = ?",
                row -> new ManifestRow(row.getLong(1), row.getString(2), row.getString(3), row.getString(4), instant(row, 5),
                        instant(row, 6)), repositoryId);
        Map<Long, List<String>> children = new HashMap<>();
        jdbc.list("SELECT c.manifest_id, c.child_digest FROM manifest_child c JOIN manifest m ON m.id = c.manifest_id "
                + "WHERE m.repository_id = ?", row -> {
                    children.computeIfAbsent(row.getLong(1), id -> new ArrayList<>()).add(row.getString(2));
                    return null;
                }, repositoryId);
        return new Content(tags, manifests, children);
    }

    /**
     * The bytes the garbage collector frees once these manifests are deleted: the distinct blobs they reference that
     * no other manifest references — every link to such a blob is then unreferenced, the links go, then the blob
     * (as {@code GcReviewStore} decides). One statement.
     */
    public long freedBytes(Set<Long> manifestIds) {
        if (manifestIds.isEmpty()) {
            return 0;
        }
        String[] ids = manifestIds.stream().map(String::valueOf).toArray(String[]::new);
        return jdbc.first("SELECT coalesce(sum(b.size), 0) FROM blob b WHERE b.digest IN (SELECT mb.digest FROM manifest_blob mb "
                        + "WHERE mb.manifest_id = ANY (?::bigint[])) AND NOT EXISTS (SELECT 1 FROM manifest_blob o "
                        + "WHERE o.digest = b.digest AND o.manifest_id <> ALL (?::bigint[]))",
                row -> row.getLong(1), ids, ids).orElse(0L);
    }

    /** Deletes the tags (those still pointing where the run saw them), then the manifests nothing keeps; see above. */
    @Transactional
    public Deleted delete(long repositoryId, List<TagTarget> tags, Set<Long> manifestIds) {
        Set<String> deletedTags = new HashSet<>();
        if (!tags.isEmpty()) {
            String[] names = tags.stream().map(TagTarget::name).toArray(String[]::new);
            String[] manifests = tags.stream().map(t -> String.valueOf(t.manifestId())).toArray(String[]::new);
            jdbc.list("SELECT name FROM tag WHERE repository_id = ? AND name = ANY (?) ORDER BY name FOR UPDATE",
                    row -> null, repositoryId, names);
            deletedTags.addAll(jdbc.list("DELETE FROM tag t USING unnest(?::varchar[], ?::bigint[]) AS d(name, manifest_id) "
                            + "WHERE t.repository_id = ? AND t.name = d.name AND t.manifest_id = d.manifest_id RETURNING t.name",
                    row -> row.getString(1), names, manifests, repositoryId));
        }
        Set<Long> deletable = new HashSet<>();
        if (!manifestIds.isEmpty()) {
            deletable.addAll(jdbc.list("SELECT id FROM manifest WHERE repository_id = ? AND id = ANY (?::bigint[]) "
                    + "ORDER BY id FOR UPDATE SKIP LOCKED", row -> row.getLong(1), repositoryId, ids(manifestIds)));
        }
        while (!deletable.isEmpty()) {
            String[] ids = ids(deletable);
            List<Long> kept = jdbc.list("SELECT m.id FROM manifest m WHERE m.id = ANY (?::bigint[]) AND ("
                            + "EXISTS (SELECT 1 FROM tag t WHERE t.manifest_id = m.id) "
                            + "OR EXISTS (SELECT 1 FROM manifest_child c JOIN manifest p ON p.id = c.manifest_id "
                            + "WHERE c.child_digest = m.digest AND p.repository_id = m.repository_id AND p.id <> ALL (?::bigint[])) "
                            + "OR EXISTS (SELECT 1 FROM manifest s WHERE s.repository_id = m.repository_id "
                            + "AND s.digest = m.subject_digest AND s.id <> ALL (?::bigint[])))",
                    row -> row.getLong(1), ids, ids, ids);
            if (kept.isEmpty()) {
                break;
            }
            kept.forEach(deletable::remove);
        }
        Set<Long> deletedManifests = new HashSet<>();
        if (!deletable.isEmpty()) {
            deletedManifests.addAll(jdbc.list("DELETE FROM manifest WHERE id = ANY (?::bigint[]) RETURNING id",
                    row -> row.getLong(1), (Object) ids(deletable)));
        }
        return new Deleted(deletedTags, deletedManifests);
    }

    /** The retention lock of the namespace, held on a connection of its own until closed; empty when taken. */
    public Optional<AutoCloseable> tryLock(String namespace) {
        Optional<Long> id = jdbc.first("SELECT id FROM namespace WHERE name = ?", row -> row.getLong(1), namespace);
        return id.isEmpty() ? Optional.empty() : jdbc.trySessionLock(AdvisoryLocks.RETENTION, (int) (long) id.get());
    }

    /** Records the start of a run; its id. */
    @Transactional
    public long startRun(String namespace, String startedBy, Instant startedAt) {
        return jdbc.first("INSERT INTO retention_run (namespace_id, started_by, started_at) SELECT id, ?, ? FROM namespace "
                + "WHERE name = ? RETURNING id", row -> row.getLong(1), startedBy, time(startedAt), namespace).orElseThrow();
    }

    /** Records what a run deleted, and its end. */
    @Transactional
    public void finishRun(long runId, List<Deletion> deletions, long bytes, String error, Instant finishedAt) {
        if (!deletions.isEmpty()) {
            jdbc.batch("INSERT INTO retention_deletion (run_id, repository, tag, digest, reason, rules) VALUES (?, ?, ?, ?, ?, ?::int[])",
                    deletions.stream().map(d -> new Object[]{runId, d.repository(), d.tag(), d.digest(), d.reason(),
                            d.rules().stream().map(String::valueOf).toArray(String[]::new)}).toList());
        }
        jdbc.update("UPDATE retention_run SET finished_at = ?, tags = ?, manifests = ?, bytes = ?, error = ? WHERE id = ?",
                time(finishedAt), (int) deletions.stream().filter(d -> d.tag() != null).count(),
                (int) deletions.stream().filter(d -> d.tag() == null).count(), bytes, error, runId);
    }

    /** The namespace's runs, newest first, {@code limit} of them before {@code before} (null: the newest). */
    public List<Run> runs(String namespace, Long before, int limit) {
        return jdbc.list(RUN_COLUMNS + "WHERE n.name = ? AND r.id < ? ORDER BY r.id DESC LIMIT ?", RetentionStore::run,
                namespace, before == null ? Long.MAX_VALUE : before, limit);
    }

    /** One run of the namespace. */
    public Optional<Run> run(String namespace, long id) {
        return jdbc.first(RUN_COLUMNS + "WHERE n.name = ? AND r.id = ?", RetentionStore::run, namespace, id);
    }

    /** What the run deleted: tags first, then manifests, each by repository and name. */
    public List<Deletion> deletions(long runId) {
        return jdbc.list("SELECT repository, tag, digest, reason, rules FROM retention_deletion WHERE run_id = ? "
                        + "ORDER BY tag IS NULL, repository, tag, digest",
                row -> new Deletion(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                        Arrays.stream((Integer[]) row.getArray(5).getArray()).toList()), runId);
    }

    private static Rule rule(ResultSet row) throws SQLException {
        Array tags = row.getArray(5);
        return new Rule(row.getInt(1), row.getString(2), (Integer) row.getObject(3), (Integer) row.getObject(4),
                tags == null ? null : List.of((String[]) tags.getArray()), (Integer) row.getObject(6));
    }

    private static Run run(ResultSet row) throws SQLException {
        return new Run(row.getLong(1), row.getString(2), row.getString(3), row.getObject(4, OffsetDateTime.class),
                row.getObject(5, OffsetDateTime.class), row.getInt(6), row.getInt(7), row.getLong(8), row.getString(9));
    }

    private static Instant instant(ResultSet row, int column) throws SQLException {
        OffsetDateTime time = row.getObject(column, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }

    private static OffsetDateTime time(Instant instant) {
        return OffsetDateTime.ofInstant(instant, java.time.ZoneOffset.UTC);
    }

    private static String[] ids(Set<Long> ids) {
        return ids.stream().map(String::valueOf).toArray(String[]::new);
    }
}
