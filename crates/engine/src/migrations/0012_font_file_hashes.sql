-- The SHA-256 of each font file a notice records, remembered so a new
-- process need not read the whole file (tens of MB) before its first print.
-- A row is valid only while `identity` matches the file on disk (device,
-- inode, size, modification and status-change times): any write to the
-- file, or a new file in its place, changes it and the file is hashed again.
-- Not an event: a fact about this machine's files, not a counter action.
CREATE TABLE font_file_hashes (
    path     TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    sha256   TEXT NOT NULL
);
