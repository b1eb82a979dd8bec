package io.cais.admin;

import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.Credentials;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
import io.cais.metadata.AccountStore;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.regex.Pattern;

/** Users: people, who log in with a password. */
@Path("/api/v1")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class UserResource {

    private static final Pattern USER_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final int MIN_PASSWORD = 8;

    @Inject
    AccessControl access;

    @Inject
    AccountStore accounts;

    public record NewUser(String name, String password, Boolean admin) {
    }

    public record UserView(String name, boolean admin, OffsetDateTime createdAt) {
        static UserView of(Account account) {
            return new UserView(account.name, account.serverAdmin, account.createdAt);
        }
    }

    /** {@code currentPassword} is required when users change their own password. */
    public record NewPassword(String password, String currentPassword) {
    }

    @POST
    @Authorize(Rule.SERVER_ADMIN)
    @Path("users")
    public Response create(NewUser body) {
        NamespaceResource.require(body);
        if (body.name() == null || !USER_NAME.matcher(body.name()).matches()) {
            throw new RegistryException(ErrorCode.NAME_INVALID,
                    "a user name is lowercase letters, digits, '.', '_' and '-' (at most 64)", body.name());
        }
        if (Account.RESERVED_NAMES.contains(body.name())) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "'" + body.name() + "' is reserved for a built-in identity", body.name());
        }
        String password = password(body.password());
        Account user = new Account();
        user.name = body.name();
        user.kind = Account.USER;
        user.credentialHash = Credentials.hashPassword(password);
        user.serverAdmin = Boolean.TRUE.equals(body.admin());
        accounts.create(user);
        return Response.created(URI.create("/api/v1/users/" + user.name)).entity(UserView.of(user)).build();
    }

    @GET
    @Authorize(Rule.SERVER_ADMIN)
    @Path("users")
    public List<UserView> list() {
        return accounts.users().stream().map(UserView::of).toList();
    }

    @DELETE
    @Authorize(Rule.SERVER_ADMIN)
    @Path("users/{name}")
    public Response delete(@PathParam("name") String name) {
        Account caller = access.user();
        if (caller.name.equals(name)) {
            throw new RegistryException(ErrorCode.CONFLICT, "you cannot delete yourself", name);
        }
        accounts.delete(accounts.user(name));
        return Response.noContent().build();
    }

    /**
     * A user changes their own password, proving the current one (a stolen session must not become a stolen
     * account); a server admin resets anyone else's. Sessions on the old password end at once.
     */
    @PUT
    @Authorize(Rule.SELF_OR_SERVER_ADMIN)
    @Path("users/{name}/password")
    public Response changePassword(@PathParam("name") String name, NewPassword body) {
        NamespaceResource.require(body);
        Account user = accounts.user(name);
        if (access.user().name.equals(name)
                && (body.currentPassword() == null || !Credentials.passwordMatches(user.credentialHash, body.currentPassword()))) {
            throw new RegistryException(ErrorCode.DENIED, "changing your own password needs your current password (currentPassword)");
        }
        accounts.setCredential(user, Credentials.hashPassword(password(body.password())));
        return Response.noContent().build();
    }

    private static String password(String password) {
        if (password == null || password.length() < MIN_PASSWORD) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "a password needs at least " + MIN_PASSWORD + " characters");
        }
        return password;
    }
}
