-- Facts about this installation rather than about any workspace. `npm start` records here how far it got with the
-- demo workspace (created, import under way, imported), so every start against this database — embedded or
-- DATABASE_URL — knows, whatever files do or do not exist beside the code.
CREATE TABLE instance_setting (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
