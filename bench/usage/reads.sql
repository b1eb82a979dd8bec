-- The statements of UsageStore, timed by EXPLAIN ANALYZE (execution time, median of 50 runs each).
CREATE TEMP TABLE timing (what text, ms double precision);
CREATE FUNCTION pg_temp.time_it(what text, statement text) RETURNS void AS $$
DECLARE
    plan json;
BEGIN
    FOR i IN 1..50 LOOP
        EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || statement INTO plan;
        INSERT INTO timing VALUES (what, (plan -> 0 ->> 'Execution Time')::double precision);
    END LOOP;
END;
$$ LANGUAGE plpgsql;
SELECT pg_temp.time_it('namespace usage (UsageStore.namespace)', $q$
    SELECT coalesce(u.blob_bytes, 0), coalesce(u.blobs, 0), coalesce(u.shared_bytes, 0), coalesce(u.shared_blobs, 0), n.quota_bytes,
    (SELECT count(*) FROM repository r WHERE r.namespace = n.name),
    (SELECT count(*) FROM tag t JOIN repository r ON r.id = t.repository_id WHERE r.namespace = n.name),
    (SELECT count(*) FROM manifest m JOIN repository r ON r.id = m.repository_id WHERE r.namespace = n.name),
    (SELECT coalesce(sum(m.size), 0) FROM manifest m JOIN repository r ON r.id = m.repository_id WHERE r.namespace = n.name)
    FROM namespace n LEFT JOIN namespace_usage u ON u.namespace = n.name WHERE n.name = 'bench' $q$);
SELECT pg_temp.time_it('repository page of 100 (UsageStore.repositories)', $q$
    SELECT r.name, coalesce(u.blob_bytes, 0), coalesce(u.blobs, 0), coalesce(u.shared_bytes, 0), coalesce(u.shared_blobs, 0),
    (SELECT count(*) FROM tag t WHERE t.repository_id = r.id), (SELECT count(*) FROM manifest m WHERE m.repository_id = r.id),
    (SELECT coalesce(sum(m.size), 0) FROM manifest m WHERE m.repository_id = r.id)
    FROM repository r LEFT JOIN repository_usage u ON u.repository_id = r.id
    WHERE r.namespace = 'bench' AND r.name > '' ORDER BY r.name LIMIT 101 $q$);
SELECT pg_temp.time_it('quota headroom (UsageStore.headroom)', $q$
    SELECT n.quota_bytes, coalesce(u.blob_bytes, 0),
    EXISTS (SELECT 1 FROM namespace_blob nb WHERE nb.namespace = n.name AND nb.digest = 'sha256:loop1')
    FROM namespace n LEFT JOIN namespace_usage u ON u.namespace = n.name WHERE n.name = 'bench' $q$);
SELECT pg_temp.time_it('for comparison: unique bytes recomputed from the links', $q$
    SELECT coalesce(sum(b.size), 0) FROM namespace_blob nb JOIN blob b ON b.digest = nb.digest WHERE nb.namespace = 'bench'
    AND NOT EXISTS (SELECT 1 FROM namespace_blob o WHERE o.digest = nb.digest AND o.namespace <> nb.namespace) $q$);
SELECT what, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) AS median_ms,
       round(max(ms)::numeric, 3) AS max_ms FROM timing GROUP BY what ORDER BY min(ctid);
