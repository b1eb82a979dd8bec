package io.cais.registry;

import io.cais.content.RepositoryName;
import io.cais.tenant.Namespace;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.List;
import java.util.Optional;

/** Finds and creates repositories. */
@ApplicationScoped
public class Repositories {

    public Optional<Long> findId(String name) {
        return Repository.<Repository>find("name", name).firstResultOptional().map(r -> r.id);
    }

    /**
     * Whether {@code name} may be served as an arch alias: its namespace serves them and no repository has the name
     * (a real repository always wins). One query, asked only on the way to an alias.
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    public boolean archAliasable(String name) {
        List<?> rows = Panache.getEntityManager().createNativeQuery(
                        "SELECT n.arch_aliases AND NOT EXISTS (SELECT 1 FROM repository r WHERE r.name = ?1) "
                                + "FROM namespace n WHERE n.name = ?2")
                .setParameter(1, name)
                .setParameter(2, Namespace.of(name))
                .getResultList();
        return !rows.isEmpty() && Boolean.TRUE.equals(rows.getFirst());
    }

    /** The repository's id, creating it on first push; safe when several replicas race on the same name. */
    @Transactional
    public long getOrCreate(String name) {
        RepositoryName.require(name);
        Object id = Panache.getEntityManager().createNativeQuery(
                        "INSERT INTO repository (name) VALUES (?1) "
                                + "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id")
                .setParameter(1, name)
                .getSingleResult();
        return ((Number) id).longValue();
    }
}
