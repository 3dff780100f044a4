-- Fontconfig's list of installed faces (`fc-list`'s answer), kept so a new
-- process need not start fontconfig before its first print. Valid only while
-- `fingerprint` matches the machine: the modification times of the font and
-- fontconfig configuration directories, as fontconfig's own cache checks
-- them; a font installed or removed, or a configuration edited, changes it
-- and fc-list runs again. One row. Not an event: a fact about this machine.
CREATE TABLE font_listing (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    listing     TEXT NOT NULL
);
