-- SMS keywords (STOP/START) name only the phone number: find its contacts
-- in every municipality without scanning them all.
CREATE INDEX contacts_address ON contacts (channel, address);
