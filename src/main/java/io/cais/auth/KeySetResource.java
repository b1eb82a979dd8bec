package io.cais.auth;

import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Map;

/** {@code GET /auth/jwks}: the public keys that verify Cais tokens, as a JSON Web Key Set. */
@Path("/auth/jwks")
@RunOnVirtualThread
public class KeySetResource {

    @Inject
    SigningKeys keys;

    @GET
    @Authorize(Rule.ANYONE)
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, List<Map<String, String>>> keySet() {
        return Map.of("keys", keys.publicKeySet());
    }
}
