-- Typo tolerance and prefix search: the vocabulary of each workspace (every word of its live prompts' title, tags,
-- description and body, as the 'simple' configuration writes it, with the number of live prompts holding it).
-- Query words that match nothing are corrected to its words within a small edit distance, and the last query word
-- is completed from it (backend/src/search/typos.ts). Kept current by triggers on prompt, in the writing
-- transaction, as the generated search columns are: no job, no worker, so it holds with no embedder and in PGlite.
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- The words of a prompt's searchable text: the lexemes search_tsv's 'simple' half holds (same fields, same body
-- cap), minus compounds with punctuation (urls, paths, "gpt-4" — their parts are words of their own) and words
-- longer than 32 characters (nobody types them; they would only bloat the table). IMMUTABLE for the same reason as
-- rocqet_tags_text (the result depends on the arguments alone), and a plain SELECT so the planner inlines it.
CREATE FUNCTION rocqet_search_words(title text, tags text[], description text, body text) RETURNS SETOF text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT u.lexeme
      FROM unnest(to_tsvector('simple'::regconfig,
                              coalesce(title, '') || ' ' || coalesce(rocqet_tags_text(tags), '') || ' ' ||
                              coalesce(description, '') || ' ' || left(coalesce(body, ''), 100000))) AS u
     WHERE char_length(u.lexeme) <= 32 AND u.lexeme !~ '[[:punct:][:space:][:cntrl:]]'
  $$;

-- No foreign key to workspace: deleting a workspace cascades to its prompts, whose delete trigger takes their words
-- out again (a key would make that trigger's decrements fail on rows the cascade already removed).
-- word is compared bytewise (COLLATE "C") so the primary key also serves prefix ranges (LIKE 'abc%').
CREATE TABLE search_word (
  workspace_id uuid NOT NULL,
  word         text COLLATE "C" NOT NULL,
  ndoc         integer NOT NULL,
  PRIMARY KEY (workspace_id, word)
);
-- A typo on the first letter: words by everything after it (deletion and substitution of the first letter).
CREATE INDEX search_word_tail_idx ON search_word (workspace_id, substr(word, 2));

-- Applies word-count deltas: one statement, rows in key order (two writers lock shared words in the same order),
-- then drops the words no live prompt holds any more.
CREATE FUNCTION rocqet_search_words_apply(workspace_ids uuid[], words text[], deltas integer[]) RETURNS void
  LANGUAGE sql
  AS $$
    INSERT INTO search_word AS w (workspace_id, word, ndoc)
    SELECT d.workspace_id, d.word, d.n FROM unnest(workspace_ids, words, deltas) AS d(workspace_id, word, n)
     WHERE d.n <> 0
     ORDER BY d.workspace_id, d.word COLLATE "C"
    ON CONFLICT (workspace_id, word) DO UPDATE SET ndoc = w.ndoc + excluded.ndoc;
    -- A second statement: one sub-statement of a WITH cannot see the rows another one updated.
    DELETE FROM search_word s USING unnest(workspace_ids, words, deltas) AS d(workspace_id, word, n)
     WHERE d.n < 0 AND s.workspace_id = d.workspace_id AND s.word = d.word AND s.ndoc <= 0;
  $$;

-- Statement-level for inserts and deletes (an import of 2,000 prompts is one aggregated upsert, a workspace's
-- deletion one aggregated decrement); row-level for updates, where a column list keeps the trigger off the updates
-- that do not touch the text (view counts, embeddings), which transition tables would not allow.
CREATE FUNCTION rocqet_search_words_insert() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE ws uuid[]; ws_words text[]; n integer[];
  BEGIN
    SELECT array_agg(x.workspace_id), array_agg(x.word), array_agg(x.n) INTO ws, ws_words, n
      FROM (SELECT r.workspace_id, w AS word, count(*)::int AS n
              FROM new_rows r CROSS JOIN rocqet_search_words(r.title, r.tags, r.description, r.head_text) AS w
             WHERE r.deleted_at IS NULL
             GROUP BY 1, 2) x;
    IF ws IS NOT NULL THEN PERFORM rocqet_search_words_apply(ws, ws_words, n); END IF;
    RETURN NULL;
  END $$;

CREATE FUNCTION rocqet_search_words_delete() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE ws uuid[]; ws_words text[]; n integer[];
  BEGIN
    SELECT array_agg(x.workspace_id), array_agg(x.word), array_agg(-x.n) INTO ws, ws_words, n
      FROM (SELECT r.workspace_id, w AS word, count(*)::int AS n
              FROM old_rows r CROSS JOIN rocqet_search_words(r.title, r.tags, r.description, r.head_text) AS w
             WHERE r.deleted_at IS NULL
             GROUP BY 1, 2) x;
    IF ws IS NOT NULL THEN PERFORM rocqet_search_words_apply(ws, ws_words, n); END IF;
    RETURN NULL;
  END $$;

-- Only the words that differ between the old and the new text are touched (a commit that edits a line locks a few
-- rows, not the prompt's whole vocabulary).
CREATE FUNCTION rocqet_search_words_update() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE ws uuid[]; ws_words text[]; n integer[];
  BEGIN
    SELECT array_agg(x.workspace_id), array_agg(x.word), array_agg(x.n) INTO ws, ws_words, n
      FROM (SELECT c.workspace_id, c.word, sum(c.n)::int AS n
              FROM (SELECT OLD.workspace_id AS workspace_id, w AS word, -1 AS n
                      FROM rocqet_search_words(OLD.title, OLD.tags, OLD.description, OLD.head_text) AS w
                     WHERE OLD.deleted_at IS NULL
                    UNION ALL
                    SELECT NEW.workspace_id, w, 1
                      FROM rocqet_search_words(NEW.title, NEW.tags, NEW.description, NEW.head_text) AS w
                     WHERE NEW.deleted_at IS NULL) c
             GROUP BY 1, 2
            HAVING sum(c.n) <> 0) x;
    IF ws IS NOT NULL THEN PERFORM rocqet_search_words_apply(ws, ws_words, n); END IF;
    RETURN NULL;
  END $$;

CREATE TRIGGER prompt_search_words_insert AFTER INSERT ON prompt
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rocqet_search_words_insert();
CREATE TRIGGER prompt_search_words_delete AFTER DELETE ON prompt
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rocqet_search_words_delete();
CREATE TRIGGER prompt_search_words_update AFTER UPDATE OF workspace_id, title, tags, description, head_text, deleted_at ON prompt
  FOR EACH ROW
  WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id OR OLD.title IS DISTINCT FROM NEW.title
        OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.description IS DISTINCT FROM NEW.description
        OR OLD.head_text IS DISTINCT FROM NEW.head_text OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
  EXECUTE FUNCTION rocqet_search_words_update();

-- The prompts already there.
INSERT INTO search_word (workspace_id, word, ndoc)
SELECT p.workspace_id, w, count(*)::int
  FROM prompt p CROSS JOIN rocqet_search_words(p.title, p.tags, p.description, p.head_text) AS w
 WHERE p.deleted_at IS NULL
 GROUP BY 1, 2;
