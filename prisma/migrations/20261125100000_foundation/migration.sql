-- Foundation: workspaces, users, memberships, API tokens, folders and the audit log.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE workspace_type AS ENUM ('personal', 'team', 'enterprise');
CREATE TYPE member_role AS ENUM ('owner', 'admin', 'editor', 'viewer');

CREATE TABLE workspace (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL UNIQUE,
  name        text NOT NULL,
  type        workspace_type NOT NULL,
  plan        text NOT NULL,
  max_members integer NOT NULL,
  max_prompts integer NOT NULL,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE app_user (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email      text NOT NULL UNIQUE CHECK (email = lower(email)),
  name       text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE membership (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  user_id      uuid NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  role         member_role NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, user_id)
);
CREATE INDEX membership_user_idx ON membership (user_id);

CREATE TABLE api_token (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  membership_id uuid NOT NULL REFERENCES membership(id) ON DELETE CASCADE,
  name          text NOT NULL,
  prefix        text NOT NULL,
  secret_hash   bytea NOT NULL UNIQUE,
  scopes        text[] NOT NULL,
  expires_at    timestamptz(3),
  last_used_at  timestamptz(3),
  revoked_at    timestamptz(3),
  created_by_id uuid,
  created_at    timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX api_token_workspace_idx ON api_token (workspace_id, created_at);

CREATE TABLE folder (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
  parent_id    uuid REFERENCES folder(id),
  name         text NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  CHECK (parent_id IS DISTINCT FROM id)
);
-- One name per parent; the root (parent_id NULL) counts as one parent.
CREATE UNIQUE INDEX folder_name_per_parent ON folder (workspace_id, parent_id, name) NULLS NOT DISTINCT;
CREATE INDEX folder_parent_idx ON folder (parent_id);

-- Append-only. The bigint id is the change feed's cursor.
CREATE TABLE audit_entry (
  id             bigserial PRIMARY KEY,
  workspace_id   uuid NOT NULL,
  actor_user_id  uuid,
  actor_token_id uuid,
  ip             text,
  user_agent     text,
  request_id     text,
  action         text NOT NULL,
  resource_type  text NOT NULL,
  resource_id    text NOT NULL,
  changes        jsonb NOT NULL DEFAULT '{}',
  created_at     timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX audit_entry_workspace_idx ON audit_entry (workspace_id, id);
CREATE INDEX audit_entry_resource_idx ON audit_entry (workspace_id, resource_type, resource_id, id);
CREATE INDEX audit_entry_actor_idx ON audit_entry (workspace_id, actor_user_id, id);
