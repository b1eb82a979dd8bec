package io.cais.registry;

import io.cais.content.Digest;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.List;
import java.util.OptionalLong;

/**
 * The repository ↔ blob links: which blobs a repository may serve. Every check that a repository may read a
 * blob goes through {@link #linkedSize}, so deduplicated storage never leaks content across repositories.
 */
@ApplicationScoped
public class BlobLinks {

    /** Size of the blob when it is linked to the repository, else empty. One indexed query. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public OptionalLong linkedSize(String repository, Digest digest) {
        List<?> rows = Panache.getEntityManager().createNativeQuery(
                        "SELECT b.size FROM repository r "
                                + "JOIN repository_blob rb ON rb.repository_id = r.id "
                                + "JOIN blob b ON b.digest = rb.digest "
                                + "WHERE r.name = ?1 AND rb.digest = ?2")
                .setParameter(1, repository)
                .setParameter(2, digest.toString())
                .getResultList();
        return rows.isEmpty() ? OptionalLong.empty() : OptionalLong.of(((Number) rows.getFirst()).longValue());
    }

    /** Records a stored blob and links it to the repository (both idempotent). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void register(long repositoryId, Digest digest, long size) {
        var em = Panache.getEntityManager();
        em.createNativeQuery("INSERT INTO blob (digest, size) VALUES (?1, ?2) ON CONFLICT (digest) DO NOTHING")
                .setParameter(1, digest.toString())
                .setParameter(2, size)
                .executeUpdate();
        em.createNativeQuery("INSERT INTO repository_blob (repository_id, digest) VALUES (?1, ?2) "
                        + "ON CONFLICT DO NOTHING")
                .setParameter(1, repositoryId)
                .setParameter(2, digest.toString())
                .executeUpdate();
    }

    /**
     * Links into {@code repositoryId} a blob that {@code from} links. Returns false, linking nothing, when
     * {@code from} does not link it: a mount never reaches content the source repository cannot serve.
     */
    @Transactional
    public boolean mount(String from, long repositoryId, Digest digest) {
        var em = Panache.getEntityManager();
        int found = ((Number) em.createNativeQuery(
                        "SELECT count(*) FROM repository_blob rb JOIN repository r ON r.id = rb.repository_id "
                                + "WHERE r.name = ?1 AND rb.digest = ?2")
                .setParameter(1, from)
                .setParameter(2, digest.toString())
                .getSingleResult()).intValue();
        if (found == 0) {
            return false;
        }
        em.createNativeQuery("INSERT INTO repository_blob (repository_id, digest) VALUES (?1, ?2) "
                        + "ON CONFLICT DO NOTHING")
                .setParameter(1, repositoryId)
                .setParameter(2, digest.toString())
                .executeUpdate();
        return true;
    }

    /** Removes the repository's link; the blob itself is left to garbage collection. */
    @Transactional
    public boolean unlink(String repository, Digest digest) {
        return Panache.getEntityManager().createNativeQuery(
                        "DELETE FROM repository_blob rb USING repository r "
                                + "WHERE rb.repository_id = r.id AND r.name = ?1 AND rb.digest = ?2")
                .setParameter(1, repository)
                .setParameter(2, digest.toString())
                .executeUpdate() > 0;
    }
}
