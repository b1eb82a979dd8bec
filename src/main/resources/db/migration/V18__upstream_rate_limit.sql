-- Pull-through cache: an optional request rate per upstream (Docker Hub allows anonymous clients a handful of pulls
-- an hour). Replicas are stateless, so the budget is counted here: a fixed one-minute window per upstream, its start
-- and the requests made in it, taken by one UPDATE per upstream request (UpstreamStore.spendRequest; the locking rule
-- is written there). Upstream requests are rare (cold content and tag revalidations), so one statement each is cheap.
ALTER TABLE upstream
    ADD COLUMN max_requests_per_minute INT CHECK (max_requests_per_minute > 0),
    ADD COLUMN window_started_at       TIMESTAMPTZ,
    ADD COLUMN window_requests         INT NOT NULL DEFAULT 0;
