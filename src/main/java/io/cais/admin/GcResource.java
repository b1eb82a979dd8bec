package io.cais.admin;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.gc.GarbageCollector;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** Online garbage collection on demand, and its state (server administrators only). */
@Path("/api/v1/gc")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class GcResource {

    /**
     * {@code dryRun}: report what would be deleted, deleting nothing (default false). {@code ignoreDelay}: treat every
     * review as due, also those within the review delay (default false; for tests and emergencies: a layer pushed
     * a moment ago for a manifest not pushed yet is collected).
     */
    public record GcRequest(Boolean dryRun, Boolean ignoreDelay) {
    }

    @Inject
    GarbageCollector collector;

    /** Collects now, on this replica, what is due; answers what was (or would be) freed. */
    @POST
    @Authorize(Rule.SERVER_ADMIN)
    public GarbageCollector.Result run(GcRequest body) {
        boolean ignoreDelay = body != null && Boolean.TRUE.equals(body.ignoreDelay());
        return body != null && Boolean.TRUE.equals(body.dryRun()) ? collector.dryRun(ignoreDelay) : collector.collect(ignoreDelay);
    }

    @GET
    @Authorize(Rule.SERVER_ADMIN)
    public GarbageCollector.Status status() {
        return collector.status();
    }
}
