package io.cais.metadata;

import io.cais.metadata.Namespace;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;

/** Which workloads were served which manifest digests: the audit of pulls made with a workload identity. */
@ApplicationScoped
public class WorkloadPullStore {

    /** One workload's pulls of one digest from one repository: how many, first and last seen. */
    public record Sighting(String repository, String digest, String issuer, String subject, String kubernetesNamespace,
                           String serviceAccount, String pod, String node, long pulls, OffsetDateTime firstSeen,
                           OffsetDateTime lastSeen) {
    }

    /** The key of a row, in the primary key's order: batches are written in this order (see {@link #record}). */
    private static final Comparator<Sighting> KEY_ORDER = Comparator.comparing(Sighting::digest)
            .thenComparing(Sighting::repository).thenComparing(Sighting::issuer).thenComparing(Sighting::subject)
            .thenComparing(Sighting::pod).thenComparing(Sighting::node);
    private static final int MAX_CONSUMERS = 1000;

    @Inject
    Jdbc jdbc;

    /**
     * Adds a batch of sightings, one transaction. Replicas flush overlapping rows at the same time: each upsert
     * locks its row, so every batch locks rows in one global order (the primary key's) and two batches cannot
     * deadlock; counts add up and first/last seen only widen, so the order commits come in changes nothing. A
     * sighting whose namespace no longer exists is dropped (the SELECT finds no namespace row).
     */
    @Transactional
    public void record(List<Sighting> sightings) {
        List<Object[]> rows = sightings.stream().sorted(KEY_ORDER).map(s -> new Object[]{
                s.digest(), s.repository(), s.issuer(), s.subject(), s.pod(), s.node(), s.kubernetesNamespace(),
                s.serviceAccount(), s.pulls(), s.firstSeen(), s.lastSeen(), Namespace.of(s.repository())}).toList();
        jdbc.batch("INSERT INTO workload_pull (namespace_id, digest, repository, issuer, subject, pod, node, "
                + "kubernetes_namespace, service_account, pulls, first_seen, last_seen) "
                + "SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM namespace WHERE name = ? "
                + "ON CONFLICT (namespace_id, digest, repository, issuer, subject, pod, node) DO UPDATE SET "
                + "pulls = workload_pull.pulls + EXCLUDED.pulls, "
                + "first_seen = LEAST(workload_pull.first_seen, EXCLUDED.first_seen), "
                + "last_seen = GREATEST(workload_pull.last_seen, EXCLUDED.last_seen)", rows);
    }

    /** The workloads the namespace served this digest to, most recently seen first (at most 1000). */
    public List<Sighting> consumers(String namespace, String digest) {
        return jdbc.list("SELECT p.repository, p.digest, p.issuer, p.subject, p.kubernetes_namespace, "
                        + "p.service_account, p.pod, p.node, p.pulls, p.first_seen, p.last_seen FROM workload_pull p "
                        + "JOIN namespace n ON n.id = p.namespace_id WHERE n.name = ? AND p.digest = ? "
                        + "ORDER BY p.last_seen DESC, p.repository, p.subject, p.pod LIMIT " + MAX_CONSUMERS,
                row -> new Sighting(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                        row.getString(5), row.getString(6), row.getString(7), row.getString(8), row.getLong(9),
                        row.getObject(10, OffsetDateTime.class), row.getObject(11, OffsetDateTime.class)),
                namespace, digest);
    }
}
