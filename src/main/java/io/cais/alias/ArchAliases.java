package io.cais.alias;

import io.cais.content.Digest;
import io.cais.content.MediaTypes;
import io.cais.content.Reference;
import io.cais.manifest.ManifestLookup;
import io.cais.metadata.BlobLinkStore;
import io.cais.metadata.ManifestRecord;
import io.cais.metadata.ManifestStore;
import io.cais.metadata.Page;
import io.cais.metadata.RepositoryStore;
import io.cais.metadata.TagStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Pulls of {@code <name>-<arch>} served from the index of {@code <name>}, in namespaces that switched them on, when
 * no repository has the suffixed name. Every answer is read from the base repository as it is now — nothing is
 * stored for an alias, no row and no cache entry — so aliases follow the index: a moved tag moves the alias, a
 * deleted one removes it, and the manifest cache serves aliases only through the base repository's own entries,
 * which every change to the base evicts.
 *
 * <p>Only reads resolve here; the routes ask after the name itself found nothing. A push to an alias name creates
 * that repository, which from then on shadows the alias.
 */
@ApplicationScoped
public class ArchAliases {

    @Inject
    RepositoryStore repositories;

    @Inject
    ManifestLookup lookup;

    @Inject
    ManifestStore manifests;

    @Inject
    TagStore tags;

    @Inject
    BlobLinkStore links;

    /** The alias {@code name} is served as: shaped like one, not a repository, in a namespace that serves them. */
    public Optional<ArchAlias> served(String name) {
        return ArchAlias.parse(name).filter(alias -> repositories.archAliasable(name));
    }

    /**
     * The image manifest the alias serves: by tag, the platform's entry in the base's index of that tag; by digest, a
     * manifest of the base that one of the base's indexes lists for the platform.
     */
    public Optional<ManifestRecord> manifest(String name, Reference reference, boolean withPayload, boolean fresh) {
        Optional<ArchAlias> alias = served(name);
        if (alias.isEmpty()) {
            return Optional.empty();
        }
        String base = alias.get().base();
        Platform platform = alias.get().platform();
        Optional<String> entry = switch (reference) {
            case Reference.Tag tag -> lookup.find(base, tag, true, fresh)
                    .filter(index -> MediaTypes.isIndex(index.mediaType()))
                    .flatMap(index -> platform.entryOf(index.payload()));
            case Reference.ByDigest(Digest digest) -> manifests.anyIndexListing(base, digest.toString(),
                    index -> platform.lists(index, digest.toString())) ? Optional.of(digest.toString()) : Optional.empty();
        };
        return entry.flatMap(digest -> lookup.find(base, Reference.lookup(digest), withPayload, fresh));
    }

    /** The size of a blob the alias serves: the base repository's blobs, which the caller may pull already. */
    public OptionalLong blobSize(String name, Digest digest) {
        Optional<ArchAlias> alias = served(name);
        return alias.isPresent() ? links.linkedSize(alias.get().base(), digest) : OptionalLong.empty();
    }

    /** The base's tags whose index lists the platform; empty when the name is no alias or the base does not exist. */
    public Optional<Page<String>> tags(String name, String last, int limit) {
        return served(name).flatMap(alias -> tags.indexTags(alias.base(), last, limit,
                index -> alias.platform().entryOf(index).isPresent()));
    }
}
