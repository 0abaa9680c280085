-- Daily counts of self-service sign-ups under each limit (ReserveSignup):
-- key is "address:<hex key>", "client:<key>", "municipality:<id>", "sms"
-- or "email". Rows of old days are deleted by ForgetSignups.
CREATE TABLE signup_counts (
    day date    NOT NULL,
    key text    NOT NULL,
    n   integer NOT NULL,
    PRIMARY KEY (day, key)
);
