-- Test data only (added to Flyway's locations by the test profile): the namespace test repositories live in.
INSERT INTO namespace (name) VALUES ('tests') ON CONFLICT (name) DO NOTHING;
