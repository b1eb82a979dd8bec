-- A pre-fetch job whose replica stopped is taken over by another replica (PrefetchJobStore.adoptStale) and goes on
-- from its first unfinished image; after MAX_ADOPTIONS takeovers (a job that brings each replica down in turn) it is
-- left abandoned instead.
ALTER TABLE prefetch_job ADD COLUMN adoptions INT NOT NULL DEFAULT 0;
