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
import java.util.Map;

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

    public record Pushed(Digest digest, Digest subject) {
    }

    /** Stores the manifest (and points the tag) as pushed by {@code pushedBy}, an account's name. */
    public Pushed put(String repository, Reference reference, String contentType, byte[] body, String pushedBy) {
        Digest digest = digestOf(body, reference instanceof Reference.ByDigest(Digest d) ? d.algorithm() : DigestAlgorithm.SHA256);
        if (reference instanceof Reference.ByDigest(Digest claimed) && !claimed.equals(digest)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest does not match the digest in the URL",
                    Map.of("expected", claimed.toString(), "actual", digest.toString()));
        }
        ParsedManifest manifest = ManifestParser.parse(body, contentType);
        store.push(repository, digest, manifest, body, reference instanceof Reference.Tag tag ? tag.name() : null,
                pushedBy);
        // Committed: this replica's next pull must see it now (others hear of it by notification).
        cache.evict(repository);
        return new Pushed(digest, manifest.subject());
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

    private static Digest digestOf(byte[] body, DigestAlgorithm algorithm) {
        try {
            return Digest.of(algorithm, MessageDigest.getInstance(algorithm.jcaName()).digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
