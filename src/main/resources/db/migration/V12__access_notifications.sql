-- Every replica remembers the accounts that log in and what they may do in each namespace (the visibility, the
-- settings and the role a permission check reads). Any change to those rows, by any replica or an operator's SQL,
-- notifies every replica on commit, and each forgets everything it remembered of them: a rotated secret, a deleted
-- robot, a removed membership or a namespace made private takes effect everywhere within the notification's delay.
-- One notification per statement: a forget-everything signal needs no row.
CREATE FUNCTION notify_access_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('cais_access_change', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER account_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON account
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER namespace_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON namespace
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER namespace_member_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON namespace_member
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
