-- Every replica remembers the signing keys (the one it signs with, the ones it verifies with). A key added or
-- deleted on one replica, or by an operator's SQL, notifies every replica on commit: after a leaked key is
-- rotated out and deleted, no replica signs with it or accepts it any more. The payload is the key id.
CREATE FUNCTION notify_signing_key_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('cais_signing_key_change', OLD.kid);
    ELSE
        PERFORM pg_notify('cais_signing_key_change', NEW.kid);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER signing_key_changed AFTER INSERT OR UPDATE OR DELETE ON signing_key
    FOR EACH ROW EXECUTE FUNCTION notify_signing_key_change();
