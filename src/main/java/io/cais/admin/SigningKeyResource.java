package io.cais.admin;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.auth.SigningKeys;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.SigningKeyStore;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;
import java.util.Map;

/**
 * The token signing keys. After a leak: rotate (a new key signs from then on), then delete the leaked key (every
 * token it signed stops working at once, on every replica). The public halves are published at {@code /auth/jwks}.
 */
@Path("/api/v1/signing-keys")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
public class SigningKeyResource {

    @Inject
    SigningKeys keys;

    @GET
    @Authorize(Rule.SERVER_ADMIN)
    public List<SigningKeyStore.KeyInfo> list() {
        return keys.list();
    }

    /** Signs new tokens with a fresh key; tokens signed with older keys stay valid until they expire or are deleted. */
    @POST
    @Authorize(Rule.SERVER_ADMIN)
    public Response rotate() {
        return Response.status(201).entity(Map.of("kid", keys.rotate())).build();
    }

    @DELETE
    @Authorize(Rule.SERVER_ADMIN)
    @Path("{kid}")
    public Response delete(@PathParam("kid") String kid) {
        if (!keys.delete(kid)) {
            throw new RegistryException(ErrorCode.NOT_FOUND, "signing key '" + kid + "' does not exist", kid);
        }
        return Response.noContent().build();
    }
}
