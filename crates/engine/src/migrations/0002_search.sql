-- Name-fragment search over cases. Chinese names have no word breaks, so each
-- character is indexed as its own token (see store::name_tokens) and a fragment
-- becomes a phrase query: exact substring matching through an index.
CREATE VIRTUAL TABLE case_name_fts USING fts5(tokens, content='', contentless_delete=1, tokenize='unicode61');
