-- The live draft of a prompt branch: its Yjs document state and the commit it is based on. One row per branch,
-- gone with the branch (or the prompt). Keyed by branch id, so renaming a branch keeps its draft.
CREATE TABLE collab_doc (
  branch_id       uuid PRIMARY KEY REFERENCES branch(id) ON DELETE CASCADE,
  workspace_id    uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  prompt_id       uuid NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
  state           bytea NOT NULL,
  base_commit_id  uuid NOT NULL REFERENCES prompt_commit(id) ON DELETE CASCADE,
  updated_at      timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX collab_doc_prompt ON collab_doc (workspace_id, prompt_id);

-- Single-use tickets for websocket clients that cannot send an Authorization header (browsers). Only the hash of
-- the secret is kept; redeeming sets used_at in the same statement that checks it, so a ticket opens one connection.
CREATE TABLE collab_ticket (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  token_id       uuid NOT NULL REFERENCES api_token(id) ON DELETE CASCADE,
  prompt_id      uuid NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
  branch_id      uuid NOT NULL REFERENCES branch(id) ON DELETE CASCADE,
  secret_hash    bytea NOT NULL UNIQUE,
  expires_at     timestamptz(3) NOT NULL,
  used_at        timestamptz(3),
  created_at     timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX collab_ticket_expiry ON collab_ticket (expires_at);
