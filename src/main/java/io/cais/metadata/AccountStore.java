package io.cais.metadata;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** Accounts: users, who log in with a password, and robots, machine credentials owned by one namespace. */
@ApplicationScoped
public class AccountStore {

    @Inject
    Jdbc jdbc;

    @Inject
    AccessRows remembered;

    /**
     * The account of that name, user or robot, detached (read only). Read on every login — every request with Basic
     * credentials and every token a kubelet fetches — so plain JDBC in autocommit: through Hibernate and a JTA
     * transaction the same row cost a quarter of a pull cycle's CPU. Remembered ({@link AccessRows}) until any
     * account changes.
     */
    public Optional<Account> find(String name) {
        return remembered.account(name, () -> jdbc.first("SELECT id, name, kind, credential_hash, server_admin, namespace_id, actions, repositories, "
                + "expires_at, created_at FROM account WHERE name = ?", AccountStore::account, name));
    }

    private static Account account(ResultSet row) throws SQLException {
        Account account = new Account();
        account.id = row.getLong("id");
        account.name = row.getString("name");
        account.kind = row.getString("kind");
        account.credentialHash = row.getString("credential_hash");
        account.serverAdmin = row.getBoolean("server_admin");
        long namespaceId = row.getLong("namespace_id");
        account.namespaceId = row.wasNull() ? null : namespaceId;
        account.actions = row.getString("actions");
        account.repositories = row.getString("repositories");
        account.expiresAt = row.getObject("expires_at", OffsetDateTime.class);
        account.createdAt = row.getObject("created_at", OffsetDateTime.class);
        return account;
    }

    /** The user, or 404 NOT_FOUND. */
    @Transactional
    public Account user(String name) {
        return Account.<Account>find("name = ?1 and kind = ?2", name, Account.USER).firstResultOptional().orElseThrow(() ->
                new RegistryException(ErrorCode.NOT_FOUND, "user '" + name + "' does not exist", name));
    }

    /** The robot of that full name ({@code <namespace>+<robot>}), or 404 NOT_FOUND. */
    @Transactional
    public Account robot(String fullName) {
        return Account.<Account>find("name = ?1 and kind = ?2", fullName, Account.ROBOT).firstResultOptional().orElseThrow(() ->
                new RegistryException(ErrorCode.NOT_FOUND, "robot '" + fullName + "' does not exist", fullName));
    }

    @Transactional
    public List<Account> users() {
        return Account.list("kind = ?1 order by name", Account.USER);
    }

    @Transactional
    public List<Account> robots(Namespace namespace) {
        return Account.list("namespaceId = ?1 and kind = ?2 order by name", namespace.id, Account.ROBOT);
    }

    /** Stores a new account (its fields set by the caller); 409 when the name is taken. */
    @Transactional
    public Account create(Account account) {
        if (Account.count("name", account.name) > 0) {
            throw new RegistryException(ErrorCode.CONFLICT, account.kind + " '" + account.name + "' already exists", account.name);
        }
        remembered.changedInThisTransaction();
        account.persistAndFlush();
        Panache.getEntityManager().refresh(account);
        return account;
    }

    /** Creates the server administrator unless an account of that name exists; true when this call created it. */
    @Transactional
    public boolean createAdminIfAbsent(String name, String credentialHash) {
        remembered.changedInThisTransaction();
        return jdbc.update("INSERT INTO account (name, kind, credential_hash, server_admin) VALUES (?, 'user', ?, true) "
                + "ON CONFLICT (name) DO NOTHING", name, credentialHash) == 1;
    }

    /** A new password hash or robot secret hash: the old credential stops working at once. */
    @Transactional
    public void setCredential(Account account, String credentialHash) {
        remembered.changedInThisTransaction();
        Account.update("credentialHash = ?1 where id = ?2", credentialHash, account.id);
        account.credentialHash = credentialHash;
    }

    @Transactional
    public void delete(Account account) {
        remembered.changedInThisTransaction();
        Account.deleteById(account.id);
    }
}
