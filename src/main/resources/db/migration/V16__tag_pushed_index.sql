-- The web console sorts a repository's tags by when they were pushed (or last moved), and a namespace's repositories
-- by their last push: both read this index (one range, or one descent per repository) instead of sorting every tag.
CREATE INDEX tag_updated_idx ON tag (repository_id, updated_at);
