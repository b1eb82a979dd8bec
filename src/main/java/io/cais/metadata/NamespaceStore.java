package io.cais.metadata;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.List;
import java.util.Optional;

/**
 * Namespaces (tenants). Administered through the {@link Namespace} entity; read on every request's permission
 * check through one plain JDBC query ({@link #access}).
 */
@ApplicationScoped
public class NamespaceStore {

    @Inject
    Jdbc jdbc;

    @Inject
    RepositoryStore repositories;

    @Inject
    AccessRows remembered;

    @Inject
    UsageStore usage;

    @Inject
    TagPolicyStore tagPolicies;

    @Transactional
    public Optional<Namespace> find(String name) {
        return Namespace.<Namespace>find("name", name).firstResultOptional();
    }

    /** The namespace, or 404 NOT_FOUND. */
    @Transactional
    public Namespace require(String name) {
        return find(name).orElseThrow(() ->
                new RegistryException(ErrorCode.NOT_FOUND, "namespace '" + name + "' does not exist", name));
    }

    /** Creates the namespace with a copy of the default tag policies; 409 when the name is taken. */
    @Transactional
    public Namespace create(String name, String visibility, boolean archAliases, String untaggedManifests) {
        if (Namespace.count("name", name) > 0) {
            throw new RegistryException(ErrorCode.CONFLICT, "namespace '" + name + "' already exists", name);
        }
        remembered.changedInThisTransaction();
        Namespace namespace = new Namespace();
        namespace.name = name;
        namespace.visibility = visibility;
        namespace.archAliases = archAliases;
        namespace.untaggedManifests = untaggedManifests;
        namespace.persistAndFlush();
        Panache.getEntityManager().refresh(namespace);
        // The server's default tag policies, as they are now: later changes to the defaults do not reach it.
        tagPolicies.copyDefaults(namespace.id);
        return namespace;
    }

    /** Every namespace for a server admin; for others the public ones and those they are a member of. */
    @Transactional
    public List<Namespace> visibleTo(Account user) {
        return user.serverAdmin
                ? Namespace.list("order by name")
                : Namespace.list("visibility = 'public' or id in (select m.namespaceId from Membership m where m.accountId = ?1) "
                + "order by name", user.id);
    }

    /** Changes the settings given (null: unchanged); the namespace as it is then. */
    @Transactional
    public Namespace update(String name, String visibility, Boolean archAliases, String untaggedManifests) {
        Namespace namespace = require(name);
        remembered.changedInThisTransaction();
        if (visibility != null) {
            namespace.visibility = visibility;
        }
        if (archAliases != null) {
            namespace.archAliases = archAliases;
        }
        if (untaggedManifests != null) {
            namespace.untaggedManifests = untaggedManifests;
        }
        return namespace;
    }

    /** Sets or (null) removes the namespace's quota on stored bytes; the namespace as it is then. */
    @Transactional
    public Namespace setQuota(String name, Long bytes) {
        Namespace namespace = require(name);
        namespace.quotaBytes = bytes;
        return namespace;
    }

    /** Deletes the namespace with its repositories, robots and memberships; blobs are left to garbage collection. */
    @Transactional
    public void delete(String name) {
        Namespace namespace = require(name);
        remembered.changedInThisTransaction();
        usage.lockNamespaceContent(name);
        repositories.deleteAllIn(name);
        namespace.delete();
    }

    /**
     * The namespace and the account's role on it (none for nobody); empty when the namespace does not exist. Read by
     * every permission check, so remembered ({@link AccessRows}) until any namespace or membership changes.
     */
    public Optional<NamespaceAccess> access(String name, Account account) {
        long accountId = account == null || account.id == null ? -1L : account.id;
        return remembered.namespace(name, accountId, () -> jdbc.first("SELECT n.id, n.visibility, n.arch_aliases, m.role FROM namespace n LEFT JOIN namespace_member m "
                        + "ON m.namespace_id = n.id AND m.account_id = ? WHERE n.name = ?",
                row -> new NamespaceAccess(row.getLong(1), name, "public".equals(row.getString(2)), row.getBoolean(3),
                        row.getString(4)),
                accountId, name));
    }

    /** Namespaces in which the account (or nobody) may pull something: public ones, its memberships, a robot's own. */
    public List<String> pullable(Account account) {
        return jdbc.list("SELECT n.name FROM namespace n WHERE n.visibility = 'public' "
                        + "OR n.id IN (SELECT namespace_id FROM namespace_member WHERE account_id = ?) OR n.id = ?",
                row -> row.getString(1),
                account == null || account.id == null ? -1L : account.id,
                account == null || account.namespaceId == null ? -1L : account.namespaceId);
    }
}
