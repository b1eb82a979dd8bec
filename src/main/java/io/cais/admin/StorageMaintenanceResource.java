package io.cais.admin;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.sweep.ConsistencyCheck;
import io.cais.sweep.FsckReport;
import io.cais.sweep.StoreSweep;
import io.cais.sweep.SweepReport;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;


/**
 * Storage maintenance, run now and answered when done: the sweep of objects no row knows ({@code POST /api/v1/sweep})
 * and the consistency check of rows against objects ({@code POST /api/v1/fsck}).
 */
@Path("/api/v1")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class StorageMaintenanceResource {

    @Inject
    StoreSweep sweep;

    @Inject
    ConsistencyCheck fsck;

    /** {@code dryRun}: report what would be removed, remove nothing. */
    public record SweepRequest(Boolean dryRun) {
    }

    /** {@code rehash}: {@code none} (sizes only, the default), {@code sample} or {@code all}; {@code repair}: see {@link ConsistencyCheck}. */
    public record FsckRequest(String rehash, Boolean repair) {
    }

    @POST
    @Path("sweep")
    @Authorize(Rule.SERVER_ADMIN)
    public SweepReport sweep(SweepRequest request) {
        boolean dryRun = request != null && Boolean.TRUE.equals(request.dryRun());
        return sweep.run(dryRun).orElseThrow(() -> new RegistryException(ErrorCode.CONFLICT,
                "a sweep is running on this or another replica; retry when it is done"));
    }

    @POST
    @Path("fsck")
    @Authorize(Rule.SERVER_ADMIN)
    public FsckReport fsck(FsckRequest request) {
        String rehash = request == null || request.rehash() == null ? "none" : request.rehash();
        ConsistencyCheck.Rehash mode;
        try {
            mode = ConsistencyCheck.Rehash.parse(rehash);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "rehash must be none, sample or all", rehash);
        }
        return fsck.run(mode, request != null && Boolean.TRUE.equals(request.repair()));
    }
}
