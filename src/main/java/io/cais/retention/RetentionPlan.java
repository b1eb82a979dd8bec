package io.cais.retention;

import io.cais.auth.Glob;
import io.cais.content.MediaTypes;
import io.cais.metadata.RetentionStore.Content;
import io.cais.metadata.RetentionStore.ManifestRow;
import io.cais.metadata.RetentionStore.Rule;
import io.cais.metadata.RetentionStore.TagRow;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What retention deletes in one repository, decided from its tags and manifests alone (no database, no clock of its
 * own): the same decision for a dry run and a real one.
 *
 * <ol>
 *   <li>The rules whose repository glob matches the repository's name (relative to its namespace) apply.</li>
 *   <li><b>Protected</b> manifests are never deleted: those pulled within the protection window, the children of a
 *   protected index, the indexes that list a protected manifest, and the referrers (signatures, SBOMs) of a protected
 *   manifest — what a cluster runs stays whole, with what verifies it. A tag of a protected manifest stays.</li>
 *   <li>When an applicable rule has keep-rules, every tag is kept if any keep-rule of any applicable rule keeps it
 *   (the N most recently pushed, pulled within D days, name matching a pattern); the others are deleted.</li>
 *   <li>Manifests are deleted when retention took their last tag, or when they are untagged (no tag, no index lists
 *   them, no subject keeps them) and were pushed more than D days ago (the largest D of the applicable rules);
 *   then, while that frees more, the untagged children of deleted indexes and the referrers of deleted manifests.
 *   A manifest that a remaining tag, index or subject keeps stays.</li>
 * </ol>
 */
final class RetentionPlan {

    static final String TAG_NOT_KEPT = "tag-not-kept";
    static final String LAST_TAG_DELETED = "last-tag-deleted";
    static final String UNTAGGED_EXPIRED = "untagged-expired";
    static final String INDEX_DELETED = "index-deleted";
    static final String SUBJECT_DELETED = "subject-deleted";

    /** A tag to delete: which manifest it pointed at, why, and the positions of the rules that decided. */
    record TagDeletion(String tag, long manifestId, String digest, String reason, List<Integer> rules) {
    }

    /** A manifest to delete, why, and the positions of the rules that decided. */
    record ManifestDeletion(long id, String digest, String reason, List<Integer> rules) {
    }

    /** Tags by name, manifests by digest. */
    record Decision(List<TagDeletion> tags, List<ManifestDeletion> manifests) {
        static final Decision NONE = new Decision(List.of(), List.of());

        boolean isEmpty() {
            return tags.isEmpty() && manifests.isEmpty();
        }
    }

    private RetentionPlan() {
    }

    /** The rules that apply to a repository, given its name relative to its namespace. */
    static List<Rule> applicable(List<Rule> rules, String relativeName) {
        return rules.stream().filter(rule -> Glob.parse(rule.repositories()).matches(relativeName)).toList();
    }

    static Decision decide(List<Rule> applicable, Content content, Instant now, Duration protection) {
        return decide(applicable, content, now, protection, tag -> false);
    }

    /** {@code immutable}: the tags a tag policy makes immutable, which retention keeps as the policy does. */
    static Decision decide(List<Rule> applicable, Content content, Instant now, Duration protection,
                           Predicate<String> immutable) {
        if (applicable.isEmpty()) {
            return Decision.NONE;
        }
        Map<Long, ManifestRow> byId = new HashMap<>();
        Map<String, ManifestRow> byDigest = new HashMap<>();
        content.manifests().forEach(m -> {
            byId.put(m.id(), m);
            byDigest.put(m.digest(), m);
        });
        Map<String, List<Long>> parents = new HashMap<>();
        content.children().forEach((parent, children) ->
                children.forEach(child -> parents.computeIfAbsent(child, d -> new ArrayList<>()).add(parent)));
        Map<String, List<Long>> referrers = new HashMap<>();
        content.manifests().stream().filter(m -> m.subjectDigest() != null)
                .forEach(m -> referrers.computeIfAbsent(m.subjectDigest(), d -> new ArrayList<>()).add(m.id()));

        Set<Long> protectedIds = protectedManifests(content, byId, byDigest, parents, referrers, now.minus(protection));

        List<TagDeletion> tagDeletions = new ArrayList<>();
        List<Rule> tagRules = applicable.stream().filter(RetentionPlan::hasKeepRules).toList();
        if (!tagRules.isEmpty()) {
            Set<String> kept = keptTags(tagRules, content.tags(), now);
            List<Integer> positions = positions(tagRules);
            content.tags().stream()
                    .filter(tag -> !kept.contains(tag.name()) && !protectedIds.contains(tag.manifestId())
                            && !immutable.test(tag.name()))
                    .sorted(Comparator.comparing(TagRow::name))
                    .forEach(tag -> tagDeletions.add(new TagDeletion(tag.name(), tag.manifestId(),
                            byId.get(tag.manifestId()).digest(), TAG_NOT_KEPT, positions)));
        }
        Set<String> deletedTags = new HashSet<>();
        tagDeletions.forEach(t -> deletedTags.add(t.tag()));

        Map<Long, Integer> tagCount = new HashMap<>();
        Map<Long, Integer> remainingTags = new HashMap<>();
        for (TagRow tag : content.tags()) {
            tagCount.merge(tag.manifestId(), 1, Integer::sum);
            if (!deletedTags.contains(tag.name())) {
                remainingTags.merge(tag.manifestId(), 1, Integer::sum);
            }
        }

        // Why each manifest may go, before checking what keeps it.
        Map<Long, ManifestDeletion> reasons = new HashMap<>();
        for (ManifestRow m : content.manifests()) {
            if (tagCount.getOrDefault(m.id(), 0) > 0 && remainingTags.getOrDefault(m.id(), 0) == 0) {
                reasons.put(m.id(), new ManifestDeletion(m.id(), m.digest(), LAST_TAG_DELETED, positions(tagRules)));
            }
        }
        List<Rule> untaggedRules = applicable.stream().filter(r -> r.untaggedDays() != null).toList();
        if (!untaggedRules.isEmpty()) {
            int days = untaggedRules.stream().mapToInt(Rule::untaggedDays).max().orElseThrow();
            Instant before = now.minus(Duration.ofDays(days));
            for (ManifestRow m : content.manifests()) {
                boolean untagged = tagCount.getOrDefault(m.id(), 0) == 0 && !parents.containsKey(m.digest())
                        && (m.subjectDigest() == null || !byDigest.containsKey(m.subjectDigest()));
                if (untagged && m.pushedAt().isBefore(before)) {
                    reasons.put(m.id(), new ManifestDeletion(m.id(), m.digest(), UNTAGGED_EXPIRED, positions(untaggedRules)));
                }
            }
        }

        Map<Long, ManifestDeletion> deleted = new LinkedHashMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (ManifestRow m : content.manifests()) {
                if (deleted.containsKey(m.id()) || protectedIds.contains(m.id()) || remainingTags.getOrDefault(m.id(), 0) > 0) {
                    continue;
                }
                List<Long> listedBy = parents.getOrDefault(m.digest(), List.of());
                if (listedBy.stream().anyMatch(p -> !deleted.containsKey(p))) {
                    continue;
                }
                ManifestRow subject = m.subjectDigest() == null ? null : byDigest.get(m.subjectDigest());
                if (subject != null && !deleted.containsKey(subject.id())) {
                    continue;
                }
                ManifestDeletion why = reasons.get(m.id());
                if (why == null && !listedBy.isEmpty() && tagCount.getOrDefault(m.id(), 0) == 0) {
                    why = new ManifestDeletion(m.id(), m.digest(), INDEX_DELETED, deleted.get(listedBy.getFirst()).rules());
                }
                if (why == null && subject != null) {
                    why = new ManifestDeletion(m.id(), m.digest(), SUBJECT_DELETED, deleted.get(subject.id()).rules());
                }
                if (why != null) {
                    deleted.put(m.id(), why);
                    changed = true;
                }
            }
        }
        List<ManifestDeletion> manifests = deleted.values().stream()
                .sorted(Comparator.comparing(ManifestDeletion::digest)).toList();
        return new Decision(List.copyOf(tagDeletions), manifests);
    }

    static boolean hasKeepRules(Rule rule) {
        return rule.keepLast() != null || rule.keepPulledDays() != null
                || (rule.keepTags() != null && !rule.keepTags().isEmpty());
    }

    /** The tags some keep-rule of some rule keeps. */
    private static Set<String> keptTags(List<Rule> rules, List<TagRow> tags, Instant now) {
        List<TagRow> newestFirst = tags.stream().sorted(Comparator.comparing(TagRow::pushedAt).reversed()
                .thenComparing(TagRow::name)).toList();
        Set<String> kept = new HashSet<>();
        for (Rule rule : rules) {
            if (rule.keepLast() != null) {
                newestFirst.stream().limit(rule.keepLast()).forEach(tag -> kept.add(tag.name()));
            }
            if (rule.keepPulledDays() != null) {
                Instant since = now.minus(Duration.ofDays(rule.keepPulledDays()));
                tags.stream().filter(tag -> tag.lastPulledAt() != null && !tag.lastPulledAt().isBefore(since))
                        .forEach(tag -> kept.add(tag.name()));
            }
            if (rule.keepTags() != null) {
                List<Glob> patterns = rule.keepTags().stream().map(Glob::parse).toList();
                tags.stream().filter(tag -> patterns.stream().anyMatch(p -> p.matches(tag.name())))
                        .forEach(tag -> kept.add(tag.name()));
            }
        }
        return kept;
    }

    /**
     * Manifests pulled since {@code since}, and everything that goes with them: the children of a protected index, the
     * indexes that list a protected manifest, the referrers of a protected manifest.
     */
    private static Set<Long> protectedManifests(Content content, Map<Long, ManifestRow> byId, Map<String, ManifestRow> byDigest,
                                                Map<String, List<Long>> parents, Map<String, List<Long>> referrers,
                                                Instant since) {
        Set<Long> protectedIds = new HashSet<>();
        Deque<ManifestRow> queue = new ArrayDeque<>();
        content.manifests().stream().filter(m -> m.lastPulledAt() != null && !m.lastPulledAt().isBefore(since))
                .forEach(m -> {
                    protectedIds.add(m.id());
                    queue.add(m);
                });
        while (!queue.isEmpty()) {
            ManifestRow m = queue.poll();
            List<Long> related = new ArrayList<>(parents.getOrDefault(m.digest(), List.of()));
            related.addAll(referrers.getOrDefault(m.digest(), List.of()));
            if (MediaTypes.isIndex(m.mediaType())) {
                content.children().getOrDefault(m.id(), List.of()).stream().map(byDigest::get)
                        .filter(java.util.Objects::nonNull).forEach(child -> related.add(child.id()));
            }
            for (Long id : related) {
                if (protectedIds.add(id)) {
                    queue.add(byId.get(id));
                }
            }
        }
        return protectedIds;
    }

    private static List<Integer> positions(List<Rule> rules) {
        return rules.stream().map(Rule::position).toList();
    }
}
