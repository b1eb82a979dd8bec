-- Every replica caches resolved manifests (tag or digest -> digest, media type, bytes) so that a pull does not
-- query the database. Any change that can alter what a tag or digest resolves to notifies every replica on
-- commit, whoever made it: the API, an operator's SQL, a restore. The payload is the repository id; replicas
-- drop that repository's cached entries. PostgreSQL folds identical notifications of one transaction into one,
-- so a bulk change costs one message per repository.
CREATE FUNCTION notify_manifest_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('cais_manifest_change', OLD.repository_id::text);
    ELSE
        PERFORM pg_notify('cais_manifest_change', NEW.repository_id::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tag_changed AFTER INSERT OR UPDATE OR DELETE ON tag
    FOR EACH ROW EXECUTE FUNCTION notify_manifest_change();

-- Inserting a manifest changes no cached answer (misses are not cached); updating or deleting one does.
CREATE TRIGGER manifest_changed AFTER UPDATE OR DELETE ON manifest
    FOR EACH ROW EXECUTE FUNCTION notify_manifest_change();
