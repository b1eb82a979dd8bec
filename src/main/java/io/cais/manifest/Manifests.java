package io.cais.manifest;

import io.cais.content.Digest;
import io.cais.content.DigestAlgorithm;
import io.cais.content.ManifestParser;
import io.cais.content.ParsedManifest;
import io.cais.content.Reference;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.ManifestStore;
import io.cais.metadata.TagStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pushing and deleting manifests. A push is hashed and validated completely before anything is written; then
 * {@link ManifestStore#push} writes the manifest, every reference it makes and its tag in one transaction. Either
 * way, this replica's cache forgets the repository before the client hears the answer.
 */
@ApplicationScoped
public class Manifests {

    @Inject
    ManifestStore store;

    @Inject
    TagStore tags;

    @Inject
    ManifestCache cache;

    /** At least the 10 tags per push the distribution-spec asks a registry to accept. */
    public static final int MAX_TAGS_PER_PUSH = 100;

    /** Who pushed what the pull-through cache stored: no account's name (names have no parentheses). */
    public static final String PULL_THROUGH = "(pull-through cache)";

    /** {@code tags}: every tag now pointing at the manifest (the reference's, or the {@code ?tag=} ones). */
    public record Pushed(Digest digest, Digest subject, List<String> tags) {
    }

    /**
     * Pushes the manifest by tag or digest as pushed by {@code pushedBy} (an account's name); with a digest reference,
     * {@code extraTags} (the {@code ?tag=} query parameters of the distribution-spec after v1.1.1) are all pointed at
     * it in the same transaction, or none is.
     */
    public Pushed put(String repository, Reference reference, List<String> extraTags, String contentType, byte[] body,
                      String pushedBy) {
        return put(repository, reference, extraTags, contentType, body, pushedBy, true);
    }

    /**
     * Stores a manifest fetched from an upstream registry into its cache repository, as a push would (tag policies
     * included; pushed by {@link #PULL_THROUGH}); an index may come before its children (only the platforms pulled
     * are ever fetched).
     */
    public Pushed putCached(String repository, Reference reference, String contentType, byte[] body) {
        return put(repository, reference, List.of(), contentType, body, PULL_THROUGH, false);
    }

    private Pushed put(String repository, Reference reference, List<String> extraTags, String contentType, byte[] body,
                       String pushedBy, boolean childrenRequired) {
        List<String> tags = tags(reference, extraTags);
        Digest digest = digestOf(body, reference instanceof Reference.ByDigest(Digest d) ? d.algorithm() : DigestAlgorithm.SHA256);
        if (reference instanceof Reference.ByDigest(Digest claimed) && !claimed.equals(digest)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest does not match the digest in the URL",
                    Map.of("expected", claimed.toString(), "actual", digest.toString()));
        }
        ParsedManifest manifest = ManifestParser.parse(body, contentType);
        store.push(repository, digest, manifest, body, tags, pushedBy, childrenRequired);
        // Committed: this replica's next pull must see it now (others hear of it by notification).
        cache.evict(repository);
        return new Pushed(digest, manifest.subject(), tags);
    }

    /** By digest: the manifest and its tags. By tag: only the tag (OCI Distribution 1.1). */
    public void delete(String repository, Reference reference) {
        boolean deleted;
        try {
            deleted = switch (reference) {
                case Reference.Tag tag -> tags.delete(repository, tag.name());
                case Reference.ByDigest(Digest digest) -> store.delete(repository, digest);
            };
        } finally {
            cache.evict(repository);
        }
        if (!deleted) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown", reference.toString());
        }
    }

    /** The tags a push points: the reference's, or the distinct {@code ?tag=} ones of a push by digest (each valid). */
    private static List<String> tags(Reference reference, List<String> extraTags) {
        if (extraTags.isEmpty()) {
            return reference instanceof Reference.Tag(String name) ? List.of(name) : List.of();
        }
        if (reference instanceof Reference.Tag) {
            throw new RegistryException(ErrorCode.TAG_INVALID, "tag query parameters go with a push by digest", extraTags);
        }
        Set<String> tags = new LinkedHashSet<>();
        for (String tag : extraTags) {
            if (!(Reference.parse(tag) instanceof Reference.Tag)) {
                throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag", tag);
            }
            tags.add(tag);
        }
        if (tags.size() > MAX_TAGS_PER_PUSH) {
            throw new RegistryException(ErrorCode.TAG_INVALID, "at most " + MAX_TAGS_PER_PUSH + " tags per push",
                    Map.of("tags", tags.size(), "max", MAX_TAGS_PER_PUSH)).withStatus(414);
        }
        return List.copyOf(tags);
    }

    /** The digest of manifest bytes, as a push computes it. */
    public static Digest digestOf(byte[] body, DigestAlgorithm algorithm) {
        try {
            return Digest.of(algorithm, MessageDigest.getInstance(algorithm.jcaName()).digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
