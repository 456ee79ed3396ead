-- The Slack app's own state (slack-app/). It reaches the library only through the API, so nothing here references
-- the library's tables: a workspace or member is named by the id the API gave. Every token is sealed with
-- backend/src/secrets/box.ts under ROCQET_SECRET_KEY, its aad naming the row it belongs to.

-- Distributed mode (OAuth): one row per installation, keyed by the enterprise (org-wide installs) or the team.
CREATE TABLE slack_installation (
  install_key            text PRIMARY KEY,
  team_id                text,
  enterprise_id          text,
  is_enterprise_install  boolean NOT NULL DEFAULT false,
  sealed                 text NOT NULL,
  installed_at           timestamptz(3) NOT NULL DEFAULT now(),
  updated_at             timestamptz(3) NOT NULL DEFAULT now()
);

-- A Slack team linked to one Rocqet workspace by an admin's token (sealed_token, used to mint members' tokens) and
-- a read-only token minted from it at link time (sealed_reader: unmapped users' reads and the channel feed).
CREATE TABLE slack_team_link (
  team_id         text PRIMARY KEY,
  workspace_id    uuid NOT NULL,
  workspace_name  text NOT NULL,
  sealed_token    text NOT NULL,
  sealed_reader   text NOT NULL,
  reader_token_id uuid NOT NULL,
  linked_by_slack text NOT NULL,
  linked_by_user  uuid NOT NULL,
  linked_at       timestamptz(3) NOT NULL DEFAULT now()
);

-- A Slack user as the app last resolved them: by verified email to a member (member_id), with a token minted for
-- that member (sealed_token) so writes are audited as them; member_id null = unmapped (reads only).
CREATE TABLE slack_user_link (
  team_id       text NOT NULL,
  slack_user_id text NOT NULL,
  workspace_id  uuid NOT NULL,
  email         text,
  member_id     uuid,
  user_id       uuid,
  role          text,
  token_id      uuid,
  sealed_token  text,
  why_no_token  text,
  checked_at    timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, slack_user_id)
);

-- A channel following a folder through the change feed. `cursor` is the last feed event id this subscription has
-- handled; each event is claimed by moving the cursor past it before it is posted, so no event posts twice.
CREATE TABLE slack_channel_subscription (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id       text NOT NULL,
  channel_id    text NOT NULL,
  workspace_id  uuid NOT NULL,
  folder_id     uuid,
  folder_path   text NOT NULL,
  cursor        bigint,
  created_by    text NOT NULL,
  created_at    timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX slack_channel_subscription_target
  ON slack_channel_subscription (team_id, channel_id, COALESCE(folder_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Events API deliveries already handled (Slack retries with X-Slack-Retry-Num): one row per event id, pruned.
CREATE TABLE slack_event_seen (
  event_id  text PRIMARY KEY,
  seen_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX slack_event_seen_age ON slack_event_seen (seen_at);

-- What a Slack user last shared, inserted or opened through the app, for their App Home.
CREATE TABLE slack_recent_prompt (
  team_id       text NOT NULL,
  slack_user_id text NOT NULL,
  prompt_id     uuid NOT NULL,
  path          text NOT NULL,
  title         text NOT NULL,
  used_at       timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, slack_user_id, prompt_id)
);

-- A message too long for a modal's text input (3,000 characters), kept while "Save as prompt" is open.
CREATE TABLE slack_pending_text (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id       text NOT NULL,
  slack_user_id text NOT NULL,
  text          text NOT NULL,
  created_at    timestamptz(3) NOT NULL DEFAULT now()
);
