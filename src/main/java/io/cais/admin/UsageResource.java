package io.cais.admin;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.metadata.UsageStore;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** The whole registry's usage, for server admins (per namespace: {@code /api/v1/namespaces/{ns}/usage}). */
@Path("/api/v1/usage")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

    @Inject
    UsageStore usage;

    @GET
    @Authorize(Rule.SERVER_ADMIN)
    public UsageViews.ServerUsage server() {
        return UsageViews.ServerUsage.of(usage.server());
    }
}
