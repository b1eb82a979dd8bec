package io.cais.distribution;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /v2/}: tells clients this is a registry speaking API v2. */
@Path("/v2")
@RunOnVirtualThread
public class RegistryRootResource {

    @GET
    @Authorize(Rule.AUTHENTICATED)
    @Path("/")
    @Produces(MediaType.APPLICATION_JSON)
    public String base() {
        return "{}";
    }
}
