-- A message's links (/m/{token}, /u/{token}) carry a random token; only its
-- SHA-256 is stored, so that a copy of the database cannot open them. NULL
-- until the message is rendered for sending; unique, so that a link names
-- one message (SQLite lets NULLs repeat in a unique index).
ALTER TABLE messages ADD COLUMN token_hash BLOB;
CREATE UNIQUE INDEX messages_token_hash ON messages (token_hash);
