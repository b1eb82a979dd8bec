package io.cais.registry;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;

/** A stored blob, once, whatever the number of repositories linking it. */
@Entity
@Table(name = "blob")
public class Blob extends PanacheEntityBase {

    @Id
    @Column(length = 135)
    public String digest;

    @Column(nullable = false)
    public long size;

    @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime createdAt;
}
