package io.cais.upload;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * An upload in progress. The row is the whole state of the upload — offset, running hash state at that
 * offset, and the storage layout — so any replica can take the next chunk.
 */
@Entity
@Table(name = "upload_session")
public class UploadSession extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "repository_id", nullable = false)
    public long repositoryId;

    @Column(name = "byte_offset", nullable = false)
    public long byteOffset;

    @Column(name = "hash_algorithm", nullable = false, length = 16)
    public String hashAlgorithm;

    @Column(name = "hash_state")
    public byte[] hashState;

    @Column(name = "storage_layout", nullable = false)
    public String storageLayout;

    @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime createdAt;

    @Column(name = "updated_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime updatedAt;
}
