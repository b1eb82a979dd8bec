package io.cais.registry;

import io.cais.content.RepositoryName;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import java.util.Optional;

/** Finds and creates repositories. */
@ApplicationScoped
public class Repositories {

    public Optional<Long> findId(String name) {
        return Repository.<Repository>find("name", name).firstResultOptional().map(r -> r.id);
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
