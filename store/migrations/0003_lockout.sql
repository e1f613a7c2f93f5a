-- Failed logins count toward a temporary lock-out; a successful login resets the count.
ALTER TABLE officers ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE officers ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
