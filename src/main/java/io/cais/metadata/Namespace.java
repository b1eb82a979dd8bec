package io.cais.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** A tenant: owns every repository named {@code <namespace>/…}. */
@Entity
@Table(name = "namespace")
public class Namespace extends PanacheEntityBase {

    public static final String LIBRARY = "library";

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(nullable = false, unique = true)
    public String name;

    /** {@code private} (default) or {@code public}: anyone may pull, nobody anonymous may push. */
    @Column(nullable = false)
    public String visibility = "private";

    /** Whether {@code <name>-<arch>} pulls are served from the index of {@code <name>} (off unless switched on). */
    @Column(name = "arch_aliases", nullable = false)
    public boolean archAliases;

    /** The hard limit on the namespace's stored bytes (null: none); set by server admins only. */
    @Column(name = "quota_bytes")
    public Long quotaBytes;

    /**
     * {@code keep} (default) or {@code delete}: whether the garbage collector deletes manifests that no tag, no index
     * and no subject keeps, once their review is due.
     */
    @Column(name = "untagged_manifests", nullable = false)
    public String untaggedManifests = "keep";

    @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime createdAt;

    /** The namespace a repository belongs to: its first path component, or {@code library} for a bare name. */
    public static String of(String repository) {
        int slash = repository.indexOf('/');
        return slash < 0 ? LIBRARY : repository.substring(0, slash);
    }
}
