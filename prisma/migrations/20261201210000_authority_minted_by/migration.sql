-- Every audit entry names the person behind the token (who created it), not only the member the token acts as: a
-- token created for someone else is used by whoever holds its secret.
ALTER TABLE audit_entry ADD COLUMN actor_minted_by_id uuid;

-- Entries written before this column existed: their token still says who created it (tokens of removed members are
-- gone with them, and those entries stay without a minter).
UPDATE audit_entry a
   SET actor_minted_by_id = COALESCE(t.created_by_id, a.actor_user_id)
  FROM api_token t
 WHERE t.id = a.actor_token_id;

-- "What did this person do" covers what they did through tokens they created for others.
CREATE INDEX audit_entry_minted_by_idx ON audit_entry (workspace_id, actor_minted_by_id, id);

-- Tokens a person created, found when that person leaves the workspace (theirs for others are revoked then).
CREATE INDEX api_token_created_by_idx ON api_token (workspace_id, created_by_id);
