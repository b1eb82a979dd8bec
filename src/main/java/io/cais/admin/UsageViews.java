package io.cais.admin;

import io.cais.metadata.UsageStore;

import java.util.List;

/**
 * How usage is shown by the admin API. {@code bytes} are the distinct blobs stored (what the blob store holds for the
 * namespace or repository); {@code uniqueBytes} is what deleting it would free once garbage collection has run,
 * {@code sharedBytes} the rest, which another namespace (or repository) also links. Manifests live in PostgreSQL and are
 * counted apart ({@code manifestBytes}); the quota applies to {@code bytes}.
 */
final class UsageViews {

    private UsageViews() {
    }

    public record NamespaceUsage(String namespace, long bytes, long uniqueBytes, long sharedBytes, long blobs,
                                 long uniqueBlobs, long sharedBlobs, long repositories, long tags, long manifests,
                                 long manifestBytes, Long quotaBytes) {
        static NamespaceUsage of(UsageStore.NamespaceUsage usage) {
            UsageStore.Stored stored = usage.stored();
            UsageStore.Contents contents = usage.contents();
            return new NamespaceUsage(usage.namespace(), stored.bytes(), stored.uniqueBytes(), stored.sharedBytes(),
                    stored.blobs(), stored.uniqueBlobs(), stored.sharedBlobs(), contents.repositories(), contents.tags(),
                    contents.manifests(), contents.manifestBytes(), usage.quotaBytes());
        }
    }

    public record RepositoryUsage(String name, long bytes, long uniqueBytes, long sharedBytes, long blobs,
                                  long uniqueBlobs, long sharedBlobs, long tags, long manifests, long manifestBytes) {
        static RepositoryUsage of(UsageStore.RepositoryUsage usage) {
            UsageStore.Stored stored = usage.stored();
            return new RepositoryUsage(usage.name(), stored.bytes(), stored.uniqueBytes(), stored.sharedBytes(),
                    stored.blobs(), stored.uniqueBlobs(), stored.sharedBlobs(), usage.tags(), usage.manifests(),
                    usage.manifestBytes());
        }
    }

    /** One page of repositories; {@code next} is the {@code last} to ask for the following page (null: none). */
    public record RepositoryUsagePage(List<RepositoryUsage> repositories, String next) {
    }

    /** The whole registry: every stored blob (linked or awaiting collection), and the linked ones. */
    public record ServerUsage(long bytes, long blobs, long linkedBytes, long linkedBlobs, long repositories, long tags,
                              long manifests, long manifestBytes) {
        static ServerUsage of(UsageStore.ServerUsage usage) {
            UsageStore.Contents contents = usage.contents();
            return new ServerUsage(usage.bytes(), usage.blobs(), usage.linkedBytes(), usage.linkedBlobs(),
                    contents.repositories(), contents.tags(), contents.manifests(), contents.manifestBytes());
        }
    }

    /** The body of {@code PUT …/quota}: the limit on stored bytes, null to remove it. */
    public record Quota(Long bytes) {
    }
}
