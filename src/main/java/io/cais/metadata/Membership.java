package io.cais.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import java.io.Serializable;

/** A user's role on a namespace: {@code reader}, {@code writer} or {@code admin}. */
@Entity
@Table(name = "namespace_member")
@IdClass(Membership.Key.class)
public class Membership extends PanacheEntityBase {

    @Id
    @Column(name = "namespace_id")
    public Long namespaceId;

    @Id
    @Column(name = "account_id")
    public Long accountId;

    @Column(nullable = false)
    public String role;

    public static class Key implements Serializable {
        public Long namespaceId;
        public Long accountId;

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && java.util.Objects.equals(namespaceId, key.namespaceId)
                    && java.util.Objects.equals(accountId, key.accountId);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(namespaceId, accountId);
        }
    }
}
