-- Prompts and their git-style history: commits (a DAG stored as deltas and snapshots), branches and tags.
CREATE TABLE prompt (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  folder_id      uuid REFERENCES folder(id),
  slug           text NOT NULL,
  title          text NOT NULL,
  description    text NOT NULL DEFAULT '',
  tags           text[] NOT NULL DEFAULT '{}',
  default_branch text NOT NULL DEFAULT 'main',
  head_text      text NOT NULL DEFAULT '',
  head_commit_id uuid,
  next_seq       integer NOT NULL DEFAULT 1,
  view_count     bigint NOT NULL DEFAULT 0,
  render_count   bigint NOT NULL DEFAULT 0,
  created_by_id  uuid,
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  updated_at     timestamptz(3) NOT NULL DEFAULT now(),
  deleted_at     timestamptz(3),
  -- The prompt id in the workspace an export came from: re-importing the same export updates, never duplicates.
  origin_id      uuid
);
CREATE UNIQUE INDEX prompt_origin_idx ON prompt (workspace_id, origin_id);
-- A slug is unique per folder among live prompts; a deleted prompt frees its slug (restore checks it again).
CREATE UNIQUE INDEX prompt_slug_per_folder ON prompt (workspace_id, folder_id, slug) NULLS NOT DISTINCT
  WHERE deleted_at IS NULL;
CREATE INDEX prompt_workspace_list_idx ON prompt (workspace_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX prompt_folder_idx ON prompt (folder_id);
CREATE INDEX prompt_tags_idx ON prompt USING gin (tags);

CREATE TABLE prompt_commit (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL,
  prompt_id       uuid NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
  seq             integer NOT NULL,
  parent_id       uuid REFERENCES prompt_commit(id),
  merge_parent_id uuid REFERENCES prompt_commit(id),
  message         text NOT NULL,
  author_id       uuid,
  author_name     text NOT NULL,
  token_id        uuid,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  content_hash    bytea NOT NULL,
  size            integer NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('snapshot', 'delta')),
  chain_length    integer NOT NULL,
  -- Already compressed by the application: keep PostgreSQL from trying again.
  payload         bytea NOT NULL,
  origin_id       uuid,
  UNIQUE (prompt_id, seq)
);
CREATE UNIQUE INDEX prompt_commit_origin_idx ON prompt_commit (prompt_id, origin_id);
ALTER TABLE prompt_commit ALTER COLUMN payload SET STORAGE EXTERNAL;
CREATE INDEX prompt_commit_parent_idx ON prompt_commit (parent_id);
ALTER TABLE prompt ADD CONSTRAINT prompt_head_commit_fk FOREIGN KEY (head_commit_id) REFERENCES prompt_commit(id)
  DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE branch (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL,
  prompt_id    uuid NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
  name         text NOT NULL,
  head_id      uuid NOT NULL REFERENCES prompt_commit(id),
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (prompt_id, name)
);

CREATE TABLE tag (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL,
  prompt_id     uuid NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
  name          text NOT NULL,
  commit_id     uuid NOT NULL REFERENCES prompt_commit(id),
  message       text NOT NULL DEFAULT '',
  created_by_id uuid,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (prompt_id, name)
);
