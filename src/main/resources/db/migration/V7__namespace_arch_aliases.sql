-- Legacy '-$(ARCH)' names (pause-amd64) served from the multi-architecture index of the name without the suffix:
-- a setting of the namespace, off unless its admins switch it on. Aliases are never stored: no row stands for one.
ALTER TABLE namespace ADD COLUMN arch_aliases BOOLEAN NOT NULL DEFAULT false;
