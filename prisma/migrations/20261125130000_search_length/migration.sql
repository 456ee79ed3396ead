-- A prompt's length for BM25's length normalisation, in characters. It has to grow with the text the way term
-- frequencies do (they count occurrences); length(search_tsv), the number of distinct lexemes, grows far slower
-- (a 26,000-character prompt has ~1,100 lexemes, a 500-character one ~100), so long prompts were barely
-- penalised and topped plain queries by repeating common words. Stored so ranking never detoasts the text; the body
-- counts up to the same cap search_tsv indexes.
ALTER TABLE prompt ADD COLUMN search_chars integer GENERATED ALWAYS AS (
  char_length(title) + char_length(description) + char_length(left(head_text, 100000))
) STORED;
