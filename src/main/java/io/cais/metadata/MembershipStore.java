package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.Comparator;
import java.util.List;

/** Users' roles on namespaces. */
@ApplicationScoped
public class MembershipStore {

    /** A member as the admin API shows one. */
    @Inject
    AccessRows remembered;

    public record Member(String user, String role) {
    }

    @Transactional
    public List<Member> members(Namespace namespace) {
        return Membership.<Membership>list("namespaceId", namespace.id).stream()
                .map(m -> new Member(Account.<Account>findById(m.accountId).name, m.role))
                .sorted(Comparator.comparing(Member::user)).toList();
    }

    /** Gives the user the role, adding the membership when there is none. */
    @Transactional
    public Member set(Namespace namespace, Account user, String role) {
        remembered.changedInThisTransaction();
        Membership membership = Membership.<Membership>find("namespaceId = ?1 and accountId = ?2", namespace.id, user.id)
                .firstResultOptional().orElseGet(() -> {
                    Membership created = new Membership();
                    created.namespaceId = namespace.id;
                    created.accountId = user.id;
                    return created;
                });
        membership.role = role;
        membership.persist();
        return new Member(user.name, role);
    }

    /** False when the user is no member. */
    @Transactional
    public boolean remove(Namespace namespace, String userName) {
        remembered.changedInThisTransaction();
        return Membership.delete("namespaceId = ?1 and accountId = (select a.id from Account a where a.name = ?2)",
                namespace.id, userName) > 0;
    }
}
