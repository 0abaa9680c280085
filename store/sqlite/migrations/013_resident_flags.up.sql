-- Today's counts of residents who cannot be reached and of renewal gaps
-- open (desk.Today), and the resident search's filters on them, read a
-- partial index of the residents concerned instead of working each
-- resident's contacts and cards out again (1 s a count at 100,000
-- residents before). The flags are derived: every store method that writes
-- a resident, a contact or a card sets them again for the residents it
-- touched (refreshFlagsSQL), in the same transaction; the rules are
-- kigen.SendChannels and kigen.GapOpen, written here as SQL.
--
-- A resident with no contact cannot be reached: that is the default.
ALTER TABLE residents ADD COLUMN unreachable INTEGER NOT NULL DEFAULT 1;
ALTER TABLE residents ADD COLUMN gap_open INTEGER NOT NULL DEFAULT 0;

UPDATE residents AS r SET
    unreachable = (SELECT NOT ((k.ce AND k.eu) OR (k.cs AND k.su)) AND ((k.ce AND k.eo) OR (k.cs AND k.so) OR NOT (k.eu OR k.su))
        FROM (SELECT x.eu, x.su, x.eo, x.so,
                     (r.channel IN ('email', 'both') OR (r.channel = '' AND x.ea)) AS ce,
                     (r.channel IN ('sms', 'both') OR (r.channel = '' AND NOT x.ea)) AS cs
              FROM (SELECT coalesce(max(c.channel = 'email' AND c.address <> '' AND c.consent AND NOT c.opted_out AND NOT c.failed), 0) AS eu,
                           coalesce(max(c.channel = 'sms' AND c.address <> '' AND c.consent AND NOT c.opted_out AND NOT c.failed), 0) AS su,
                           coalesce(max(c.channel = 'email' AND c.opted_out), 0) AS eo,
                           coalesce(max(c.channel = 'sms' AND c.opted_out), 0) AS so,
                           coalesce(max(c.channel = 'email' AND c.address <> ''), 0) AS ea
                    FROM contacts c WHERE c.resident_id = r.id) x) k),
    gap_open = (r.status = 'fixed_period' AND EXISTS (
        SELECT 1 FROM cards rc JOIN cards mc ON mc.resident_id = rc.resident_id AND mc.kind = 'mynumber_card' AND mc.expires_on < rc.expires_on
        WHERE rc.resident_id = r.id AND rc.kind = 'residence_card'));

-- In the order a list is paged (refs bytewise), so that a filtered page
-- and a count both read only the residents concerned.
CREATE INDEX residents_unreachable ON residents (municipality_id, ref) WHERE unreachable;
CREATE INDEX residents_gap_open ON residents (municipality_id, ref) WHERE gap_open;
-- The follow-up list's unreachable residents, a page at a time by ID.
CREATE INDEX residents_unreachable_id ON residents (municipality_id, id) WHERE unreachable;
