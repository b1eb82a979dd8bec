package io.cais.quota;

import io.cais.content.Digest;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Namespace;
import io.cais.metadata.QuotaExceededException;
import io.cais.metadata.UsageStore;
import io.cais.observability.UsageMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Map;

/**
 * Namespace quotas on stored bytes: the distinct blobs a namespace's repositories link, as {@link UsageStore} counts
 * them (manifests are not counted). A push over the limit is refused with {@code 403 DENIED} naming the namespace, the
 * limit and the usage.
 *
 * <p>Where it is decided: the database enforces the limit when a link is made (the V10 trigger, under the lock of the
 * namespace's usage row, so two concurrent pushes never both pass a check only one of them fits: the guarantee is
 * exact). The checks here come earlier and unlocked, so that a push already known to be over the limit stores nothing:
 * before a completed upload is published to the blob store, and before a chunk is written once the upload alone
 * exceeds what is left. A push refused only by the trigger (it raced another that used the room) has published its
 * blob object without a row; the store sweep removes such objects.
 */
@ApplicationScoped
public class Quotas {

    @Inject
    UsageStore usage;

    @Inject
    UsageMetrics metrics;

    /** Refuses a blob of {@code size} bytes for {@code repository} when it would take its namespace over its quota. */
    public void admitBlob(String repository, Digest digest, long size) {
        String namespace = Namespace.of(repository);
        UsageStore.Headroom headroom = usage.headroom(namespace, digest);
        if (!headroom.alreadyStored() && over(headroom, size)) {
            throw refusal(namespace, headroom.quotaBytes(), headroom.usedBytes(), size);
        }
    }

    /**
     * Refuses to go on with an upload that already holds {@code uploaded} bytes when they alone exceed what the
     * namespace has left. (It cannot yet know whether the blob is one the namespace already stores; such a
     * re-upload is refused too, which a client that checks with HEAD before pushing never does.)
     */
    public void admitUpload(String repository, long uploaded) {
        String namespace = Namespace.of(repository);
        UsageStore.Headroom headroom = usage.headroom(namespace, null);
        if (over(headroom, uploaded)) {
            throw refusal(namespace, headroom.quotaBytes(), headroom.usedBytes(), uploaded);
        }
    }

    /** The answer to a link the database refused. */
    public RegistryException refusal(QuotaExceededException e) {
        return refusal(e.namespace(), e.limit(), e.used(), e.requested());
    }

    private static boolean over(UsageStore.Headroom headroom, long adding) {
        return headroom.quotaBytes() != null && headroom.usedBytes() + adding > headroom.quotaBytes();
    }

    private RegistryException refusal(String namespace, long limit, long used, long requested) {
        metrics.refused(namespace);
        return new RegistryException(ErrorCode.DENIED,
                "namespace '" + namespace + "' is over its storage quota: limit " + limit + " bytes, " + used
                        + " bytes used, this push needs " + requested + " more",
                Map.of("quota", "bytes", "namespace", namespace, "limit", limit, "usage", used, "requested", requested));
    }
}
