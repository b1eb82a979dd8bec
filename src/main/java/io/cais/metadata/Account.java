package io.cais.metadata;

import io.cais.auth.workload.WorkloadTokens;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;
import java.util.Set;

/** A user (a person with a password) or a robot (a machine credential owned by one namespace). */
@Entity
@Table(name = "account")
public class Account extends PanacheEntityBase {

    public static final String USER = "user";
    public static final String ROBOT = "robot";
    /** Names of built-in identities, which no account may take: nobody, and the username of workloads' tokens. */
    public static final Set<String> RESERVED_NAMES = Set.of("anonymous", WorkloadTokens.USERNAME);

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(nullable = false, unique = true)
    public String name;

    @Column(nullable = false)
    public String kind;

    /** bcrypt of a user's password, or SHA-256 of a robot's secret. */
    @Column(name = "credential_hash", nullable = false)
    public String credentialHash;

    @Column(name = "server_admin", nullable = false)
    public boolean serverAdmin;

    /** The robot's namespace (null for users). */
    @Column(name = "namespace_id")
    public Long namespaceId;

    /** A robot's actions, comma-separated. */
    @Column(nullable = false)
    public String actions = "";

    /** A robot's repository patterns inside its namespace, comma-separated ({@code *} and globs). */
    @Column(nullable = false)
    public String repositories = "";

    @Column(name = "expires_at")
    public OffsetDateTime expiresAt;

    @Column(name = "created_at", nullable = false, insertable = false, updatable = false)
    public OffsetDateTime createdAt;

    public boolean isRobot() {
        return ROBOT.equals(kind);
    }
}
