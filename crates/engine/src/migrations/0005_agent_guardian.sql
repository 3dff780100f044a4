-- Who may sign a 告知承诺: the applicant in person, or the legal guardian
-- (never another agent): the agent of a case may be recorded as guardian.
ALTER TABLE cases ADD COLUMN agent_is_guardian INTEGER NOT NULL DEFAULT 0;
