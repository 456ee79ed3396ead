-- Runs (issue 13): provider keys per workspace, the workspace's failover chain and monthly budget, and the run log.

-- An API key for OpenAI, Anthropic or an OpenAI-compatible server. The key is sealed with backend/src/secrets/box.ts
-- (AES-256-GCM, aad "provider_key:<workspace id>:<name>"), so a ciphertext copied to another row does not open;
-- only its masked tail is ever shown.
CREATE TABLE provider_key (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('openai', 'anthropic', 'openai_compatible')),
  base_url      text,
  sealed_key    text NOT NULL,
  masked_key    text NOT NULL,
  created_by    uuid REFERENCES app_user(id) ON DELETE SET NULL,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  updated_at    timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);

-- One row per workspace that changed the defaults: the failover chain ("provider:model" entries, tried in order)
-- and the monthly budget in US dollars (null: none).
CREATE TABLE run_settings (
  workspace_id        uuid PRIMARY KEY REFERENCES workspace(id) ON DELETE CASCADE,
  chain               jsonb NOT NULL DEFAULT '[]',
  monthly_budget_usd  numeric(14, 6),
  updated_at          timestamptz(3) NOT NULL DEFAULT now()
);

-- The run log: one row per finished run (written with its audit entry when the run ends), its attempts beside it.
CREATE TABLE run (
  id                  uuid PRIMARY KEY,
  workspace_id        uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  prompt_id           uuid NOT NULL REFERENCES prompt(id) ON DELETE CASCADE,
  commit_id           uuid NOT NULL REFERENCES prompt_commit(id) ON DELETE CASCADE,
  ref                 text NOT NULL,
  compare_id          uuid,
  variables           jsonb NOT NULL,
  parameters          jsonb NOT NULL,
  system_text         text,
  user_text           text NOT NULL,
  provider            text,
  provider_kind       text,
  model               text,
  status              text NOT NULL CHECK (status IN ('succeeded', 'incomplete', 'failed', 'cancelled')),
  stop_reason         text,
  error               jsonb,
  output              text NOT NULL DEFAULT '',
  tokens_in           integer,
  tokens_out          integer,
  tokens_cached       integer,
  ttft_ms             integer,
  total_ms            integer NOT NULL,
  cost_usd            numeric(20, 10),
  price_as_of         text,
  created_by          uuid REFERENCES app_user(id) ON DELETE SET NULL,
  token_id            uuid REFERENCES api_token(id) ON DELETE SET NULL,
  started_at          timestamptz(3) NOT NULL,
  created_at          timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX run_workspace_created ON run (workspace_id, created_at DESC, id DESC);
CREATE INDEX run_prompt_created ON run (workspace_id, prompt_id, created_at DESC);
CREATE INDEX run_compare ON run (compare_id) WHERE compare_id IS NOT NULL;

CREATE TABLE run_attempt (
  run_id          uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  n               integer NOT NULL,
  provider        text NOT NULL,
  model           text NOT NULL,
  outcome         text NOT NULL,
  error_class     text,
  http_status     integer,
  message         text,
  request_id      text,
  retry_after_ms  integer,
  latency_ms      integer NOT NULL,
  PRIMARY KEY (run_id, n)
);
