-- Search: a weighted full-text vector, trigram indexes for typos, embeddings with an HNSW index, a cache of
-- vectors by content hash, and the job table the index worker drains. Plain SQL that PGlite (PostgreSQL 18,
-- vector 0.8.7) runs as well as PostgreSQL 15 with pgvector 0.8.

-- array_to_string is only STABLE (it calls the element type's output function); for text[] the result depends on
-- nothing but the input, so this wrapper may be IMMUTABLE and used in generated columns and index expressions.
CREATE FUNCTION rocqet_tags_text(tags text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT array_to_string(tags, ' ') $$;

-- Each field is indexed twice: with the English configuration (stemming, stop words) and with 'simple' (words as
-- written, lower-cased), so words of other languages, names and exact forms still match. The body is capped so a
-- huge prompt cannot push the vector past tsvector's 1 MB limit (positions stop at 16,383 anyway).
ALTER TABLE prompt ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english'::regconfig, title), 'A') ||
  setweight(to_tsvector('simple'::regconfig, title), 'A') ||
  setweight(to_tsvector('english'::regconfig, rocqet_tags_text(tags)), 'B') ||
  setweight(to_tsvector('simple'::regconfig, rocqet_tags_text(tags)), 'B') ||
  setweight(to_tsvector('english'::regconfig, description), 'C') ||
  setweight(to_tsvector('simple'::regconfig, description), 'C') ||
  setweight(to_tsvector('english'::regconfig, left(head_text, 100000)), 'D') ||
  setweight(to_tsvector('simple'::regconfig, left(head_text, 100000)), 'D')
) STORED;
CREATE INDEX prompt_search_tsv_idx ON prompt USING gin (search_tsv) WITH (fastupdate = off);

-- The GIN indexes are built with fastupdate off: a pending list left by a bulk import made the planner avoid them
-- (and scanning it is slow) until the next vacuum; writes of single prompts pay little for it.
-- Typos: trigram similarity on titles and on the tags joined by spaces.
CREATE INDEX prompt_title_trgm_idx ON prompt USING gin (title gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX prompt_tags_trgm_idx ON prompt USING gin (rocqet_tags_text(tags) gin_trgm_ops) WITH (fastupdate = off);

-- The vector of the default branch head's title/description/text, the embedder model that made it and the hash of
-- the exact text embedded (what the cache is keyed by). A vector of another model is never compared with a query.
ALTER TABLE prompt ADD COLUMN embedding vector(512);
ALTER TABLE prompt ADD COLUMN embedding_model text;
ALTER TABLE prompt ADD COLUMN embedded_hash bytea;
-- 512 floats are 2,056 bytes, just over the TOAST threshold: kept in the row, an exact kNN over a small workspace
-- does not detoast every vector.
ALTER TABLE prompt ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE INDEX prompt_embedding_hnsw_idx ON prompt USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- The same text is never embedded twice by the same model: vectors by (model, SHA-256 of the embedded text).
-- Dimensions are left open so a model of another size can be cached (prompt.embedding holds 512).
CREATE TABLE embedding_cache (
  model        text NOT NULL,
  content_hash bytea NOT NULL,
  embedding    vector NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (model, content_hash)
);

-- One pending job per prompt (re-enqueueing bumps `generation`, so a worker that embedded an older text does not
-- delete the newer request). A job is deleted only in the transaction that stores its vector; a worker claims jobs
-- by setting `locked_until` (a lease), so the jobs of a worker that died become claimable again when it expires.
CREATE TABLE search_job (
  id           bigserial PRIMARY KEY,
  workspace_id uuid NOT NULL,
  prompt_id    uuid NOT NULL UNIQUE REFERENCES prompt(id) ON DELETE CASCADE,
  generation   integer NOT NULL DEFAULT 1,
  attempts     integer NOT NULL DEFAULT 0,
  run_after    timestamptz(3) NOT NULL DEFAULT now(),
  locked_until timestamptz(3),
  last_error   text,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX search_job_due_idx ON search_job (run_after, id);
CREATE INDEX search_job_workspace_idx ON search_job (workspace_id);

-- Filters of search: author and recency, always after the workspace.
CREATE INDEX prompt_workspace_author_idx ON prompt (workspace_id, created_by_id) WHERE deleted_at IS NULL;
CREATE INDEX prompt_workspace_updated_idx ON prompt (workspace_id, updated_at) WHERE deleted_at IS NULL;
