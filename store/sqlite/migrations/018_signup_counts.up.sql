-- Daily counts of self-service sign-ups under each limit (ReserveSignup):
-- key is "address:<hex key>", "client:<key>", "municipality:<id>", "sms"
-- or "email". Rows of old days are deleted by ForgetSignups.
CREATE TABLE signup_counts (
    day TEXT    NOT NULL,
    key TEXT    NOT NULL,
    n   INTEGER NOT NULL,
    PRIMARY KEY (day, key)
) STRICT, WITHOUT ROWID;
