package io.cais.console;

import io.cais.auth.Robots;
import io.cais.gc.GarbageCollector;
import io.cais.metadata.ManifestStore;
import io.cais.metadata.MembershipStore;
import io.quarkus.qute.TemplateData;

/** Types of other packages that the console's templates read, registered for Qute's generated value resolvers. */
@TemplateData(target = MembershipStore.Member.class)
@TemplateData(target = ManifestStore.Referrer.class)
@TemplateData(target = GarbageCollector.Status.class)
@TemplateData(target = GarbageCollector.Totals.class)
@TemplateData(target = Robots.Exports.class)
final class TemplateTypes {

    private TemplateTypes() {
    }
}
