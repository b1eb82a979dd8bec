package io.cais.metadata;

import io.cais.content.MediaTypes;
import io.cais.error.RegistryException;
import io.cais.metadata.TagPolicyStore.StoredTagPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;

/** Tags: a name in a repository pointing at one manifest. */
@ApplicationScoped
public class TagStore {

    @Inject
    Jdbc jdbc;

    @Inject
    TagPolicyStore policies;

    @Inject
    TagGuard guard;

    /**
     * Points the tags at the manifest {@code digest} (id {@code manifestId}), in the push's transaction, under the
     * namespace's tag policies as committed when this reads them. Every tag is checked against the blocking policies
     * before any is written, so a refused push writes nothing (the transaction rolls back).
     *
     * <p>Locking rule (tag policies): a tag a policy makes immutable is inserted with {@code ON CONFLICT DO NOTHING},
     * which waits for a concurrent push that inserted the same tag to end; when the row exists it is read
     * {@code FOR UPDATE} and compared in this transaction, so of two pushes of different manifests to a new immutable
     * tag exactly one wins and the other is refused, and a tag that exists never moves. Other tags are one upsert:
     * readers see the old manifest or the new one, never none. Pushed at ({@code updated_at}) and by are those of
     * the last push that moved the tag. Tags are written in lexical order, so two multi-tag
     * pushes lock shared tags in the same order.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void point(long repositoryId, String repository, List<String> tags, long manifestId, String digest,
                      String pushedBy) {
        if (tags.isEmpty()) {
            return;
        }
        List<StoredTagPolicy> rules = policies.list(Namespace.of(repository));
        for (String tag : tags) {
            guard.blocked(rules, repository, tag).ifPresent(refusal -> {
                throw refusal;
            });
        }
        for (String tag : new TreeSet<>(tags)) {
            Optional<TagGuard.ImmutableTag> immutable = guard.immutable(rules, repository, tag);
            if (immutable.isPresent()) {
                pointOnce(repositoryId, tag, manifestId, digest, pushedBy, immutable.get());
            } else {
                jdbc.update("INSERT INTO tag (repository_id, name, manifest_id, pushed_by) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = EXCLUDED.manifest_id, updated_at = now(), "
                        + "pushed_by = EXCLUDED.pushed_by", repositoryId, tag, manifestId, pushedBy);
            }
        }
    }

    /** Creates an immutable tag, or accepts it as it is when it already points at the manifest; refuses moving it. */
    private void pointOnce(long repositoryId, String tag, long manifestId, String digest, String pushedBy,
                           TagGuard.ImmutableTag immutable) {
        while (jdbc.update("INSERT INTO tag (repository_id, name, manifest_id, pushed_by) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (repository_id, name) DO NOTHING", repositoryId, tag, manifestId, pushedBy) == 0) {
            Optional<String> current = jdbc.first("SELECT m.digest FROM tag t JOIN manifest m ON m.id = t.manifest_id "
                    + "WHERE t.repository_id = ? AND t.name = ? FOR UPDATE OF t", row -> row.getString(1), repositoryId, tag);
            if (current.isPresent()) {
                if (!current.get().equals(digest)) {
                    throw immutable.refusal(current.get(), digest);
                }
                return;
            }
            // Deleted (with its manifest) between the insert and the read: insert again.
        }
    }

    /**
     * Deletes the tag, not the manifest; false when there is no such tag. A tag a policy makes immutable is read
     * {@code FOR UPDATE} and refused instead.
     */
    @Transactional
    public boolean delete(String repository, String tag) {
        Optional<TagGuard.ImmutableTag> immutable = guard.immutable(policies.list(Namespace.of(repository)), repository, tag);
        if (immutable.isPresent()) {
            Optional<String> current = jdbc.first("SELECT m.digest FROM repository r JOIN tag t ON t.repository_id = r.id "
                    + "JOIN manifest m ON m.id = t.manifest_id WHERE r.name = ? AND t.name = ? FOR UPDATE OF t",
                    row -> row.getString(1), repository, tag);
            if (current.isPresent()) {
                throw immutable.get().refusal(current.get(), null);
            }
            return false;
        }
        return jdbc.update("DELETE FROM tag t USING repository r WHERE t.repository_id = r.id AND r.name = ? AND t.name = ?",
                repository, tag) > 0;
    }

    /**
     * The refusal of deleting the manifest {@code manifestId} when an immutable tag points at it; called by a manifest
     * delete that holds the manifest row {@code FOR UPDATE}, so no tag can be pointed at it meanwhile.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    Optional<RegistryException> protecting(List<StoredTagPolicy> rules, String repository, long manifestId, String digest) {
        for (String tag : jdbc.list("SELECT name FROM tag WHERE manifest_id = ? ORDER BY name", row -> row.getString(1), manifestId)) {
            Optional<TagGuard.ImmutableTag> immutable = guard.immutable(rules, repository, tag);
            if (immutable.isPresent()) {
                return Optional.of(immutable.get().refusal(digest, null));
            }
        }
        return Optional.empty();
    }

    /**
     * The repository's tags after {@code last} in lexical order, or empty when the repository does not exist. One
     * statement: a range scan of the tag key, one row more than the page to know whether another follows; a
     * repository without tags is one row with no name.
     */
    public Optional<Page<String>> page(String repository, String last, int limit) {
        List<String> rows = jdbc.list("SELECT t.name FROM repository r LEFT JOIN LATERAL (SELECT name FROM tag "
                        + "WHERE repository_id = r.id AND name > ? ORDER BY name LIMIT ?) t ON true WHERE r.name = ? ORDER BY t.name",
                row -> row.getString(1), last == null ? "" : last, limit + 1, repository);
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Page.of(rows.getFirst() == null ? List.of() : rows, limit));
    }

    /**
     * The repository's tags after {@code last} whose manifest is an index that {@code index} accepts (given its
     * bytes), or empty when the repository does not exist: what an arch alias lists. The platform test needs the
     * index's bytes, so it runs here, batch by batch ({@link FilteredPages}).
     */
    public Optional<Page<String>> indexTags(String repository, String last, int limit, Predicate<byte[]> index) {
        Optional<Long> repositoryId = jdbc.first("SELECT id FROM repository WHERE name = ?", row -> row.getLong(1),
                repository);
        String[] indexTypes = MediaTypes.indexes().toArray(String[]::new);
        return repositoryId.map(id -> FilteredPages.page(last, limit, cursor -> jdbc.list(
                        "SELECT t.name, m.payload FROM tag t JOIN manifest m ON m.id = t.manifest_id "
                                + "WHERE t.repository_id = ? AND t.name > ? AND m.media_type = ANY (?) ORDER BY t.name LIMIT ?",
                        row -> new TaggedIndex(row.getString(1), row.getBytes(2)), id, cursor, indexTypes, limit + 1),
                TaggedIndex::tag, tagged -> index.test(tagged.payload())));
    }

    /**
     * A tag as the web console lists it: its manifest, when it was pushed (or last moved) and by whom, the bytes of the
     * distinct blobs the manifest — with an index's child manifests — references ({@code contentBytes}), its pulls and
     * the last one (null: never, or not yet written); an index's bytes come along ({@code indexPayload}, else null) so
     * that its platforms can be shown.
     */
    public record Listed(String name, String digest, String mediaType, long manifestBytes, OffsetDateTime pushedAt,
                         long contentBytes, byte[] indexPayload, String pushedBy, OffsetDateTime lastPulledAt, long pulls) {
    }

    /** How the console's tag list may be sorted, by the server, over every matching tag. */
    public enum ListOrder {
        NAME("t.name"), PUSHED("t.updated_at"), PULLED(null);

        private final String expression;

        ListOrder(String expression) {
            this.expression = expression;
        }
    }

    private static final String PAGE_COLUMNS = "SELECT t.name, t.manifest_id, t.updated_at, t.pushed_by ";
    /** Pulled tags in order of their last pull, driven by tag_pull_last_idx (then a tag key lookup per row). */
    private static final String PULLED_TAGS = PAGE_COLUMNS + "FROM tag_pull tp JOIN tag t ON t.repository_id = tp.repository_id "
            + "AND t.name = tp.name WHERE tp.repository_id = ? AND strpos(tp.name, ?) > 0 ";
    /**
     * Never-pulled tags by name: the tag key in order with one tag_pull_pkey probe per tag. A subquery rather than NOT
     * EXISTS: for a page deep in the list the planner turned NOT EXISTS into a hash anti-join over every tag and every
     * pull, then a sort (190 ms at 100,000 tags); this reads the key only up to the page.
     */
    private static final String NEVER_PULLED_TAGS = PAGE_COLUMNS + "FROM tag t WHERE t.repository_id = ? AND strpos(t.name, ?) > 0 "
            + "AND (SELECT true FROM tag_pull tp WHERE tp.repository_id = t.repository_id AND tp.name = t.name LIMIT 1) IS NULL ";

    /**
     * The repository's tags whose name contains {@code filter}, sorted over all of them, {@code limit} from
     * {@code offset}, with the number that match. The page is chosen from the tag rows alone (the key range of the
     * repository, or {@code tag_pushed_idx}); manifests, sizes, pull statistics and index bytes are read for the
     * page's rows only. By last pull, pulled tags come first when descending (newest pull first) and last when
     * ascending, never-pulled ones by name: two range scans, of {@code tag_pull_last_idx} and of the tag key, split at
     * the number of pulled tags that match.
     */
    public Slice<Listed> list(long repositoryId, String filter, ListOrder order, boolean descending, int offset, int limit) {
        String direction = descending ? " DESC" : " ASC";
        String needle = filter == null ? "" : filter;
        long total = jdbc.first("SELECT count(*) FROM tag t WHERE t.repository_id = ? AND strpos(t.name, ?) > 0",
                row -> row.getLong(1), repositoryId, needle).orElse(0L);
        if (order != ListOrder.PULLED) {
            return new Slice<>(page(PAGE_COLUMNS + "FROM tag t WHERE t.repository_id = ? AND strpos(t.name, ?) > 0 "
                    + "ORDER BY " + order.expression + direction + ", t.name LIMIT ? OFFSET ?",
                    order.expression.replace("t.", "p.") + direction + ", p.name", repositoryId, needle, limit, offset), total);
        }
        long pulled = jdbc.first("SELECT count(*) FROM tag_pull WHERE repository_id = ? AND strpos(name, ?) > 0",
                row -> row.getLong(1), repositoryId, needle).orElse(0L);
        String pulledOrder = "ORDER BY tp.last_pulled_at" + direction + ", tp.name" + direction + " LIMIT ? OFFSET ?";
        String pulledSort = "tp.last_pulled_at" + direction + ", p.name" + direction;
        String neverOrder = "ORDER BY t.name LIMIT ? OFFSET ?";
        List<Listed> rows = new ArrayList<>();
        long first = descending ? pulled : total - pulled; // rows of the first segment
        int firstOffset = (int) Math.min(offset, first);
        if (offset < first) {
            rows.addAll(descending
                    ? page(PULLED_TAGS + pulledOrder, pulledSort, repositoryId, needle, limit, offset)
                    : page(NEVER_PULLED_TAGS + neverOrder, "p.name", repositoryId, needle, limit, offset));
        }
        if (rows.size() < limit) {
            int secondOffset = offset - firstOffset;
            int rest = limit - rows.size();
            rows.addAll(descending
                    ? page(NEVER_PULLED_TAGS + neverOrder, "p.name", repositoryId, needle, rest, secondOffset)
                    : page(PULLED_TAGS + pulledOrder, pulledSort, repositoryId, needle, rest, secondOffset));
        }
        return new Slice<>(rows, total);
    }

    /** The rows {@code pick} chooses (name, manifest_id, updated_at, pushed_by), with their manifests and pulls, in {@code sort}. */
    private List<Listed> page(String pick, String sort, long repositoryId, String needle, int limit, int offset) {
        String[] indexTypes = MediaTypes.indexes().toArray(String[]::new);
        return jdbc.list("WITH p AS (" + pick + ") "
                        + "SELECT p.name, m.digest, m.media_type, m.size, p.updated_at, "
                        + "(SELECT coalesce(sum(b.size), 0) FROM blob b WHERE b.digest IN ("
                        + "SELECT mb.digest FROM manifest_blob mb WHERE mb.manifest_id = m.id UNION "
                        + "SELECT cb.digest FROM manifest_child c JOIN manifest cm ON cm.repository_id = m.repository_id "
                        + "AND cm.digest = c.child_digest JOIN manifest_blob cb ON cb.manifest_id = cm.id WHERE c.manifest_id = m.id)), "
                        + "CASE WHEN m.media_type = ANY (?) THEN m.payload END, p.pushed_by, tp.last_pulled_at, "
                        + "coalesce(tp.pulls, 0) FROM p JOIN manifest m ON m.id = p.manifest_id "
                        + "LEFT JOIN tag_pull tp ON tp.repository_id = m.repository_id AND tp.name = p.name ORDER BY " + sort,
                row -> new Listed(row.getString(1), row.getString(2), row.getString(3), row.getLong(4),
                        row.getObject(5, OffsetDateTime.class), row.getLong(6), row.getBytes(7), row.getString(8),
                        row.getObject(9, OffsetDateTime.class), row.getLong(10)),
                repositoryId, needle, limit, offset, indexTypes);
    }

    /** The tags of the repository that point at the manifest, by name (at most {@code limit}). */
    public List<String> pointingAt(long repositoryId, String digest, int limit) {
        return jdbc.list("SELECT t.name FROM tag t JOIN manifest m ON m.id = t.manifest_id WHERE t.repository_id = ? "
                + "AND m.digest = ? ORDER BY t.name LIMIT ?", row -> row.getString(1), repositoryId, digest, limit);
    }

    private record TaggedIndex(String tag, byte[] payload) {
    }
}
