-- Imports keep at most their first 1,000 row errors (row_errors stops growing there instead of
-- being rewritten whole by every batch), and count every rejected field problem by field in
-- error_counts, so a file of a million bad rows costs a bounded record.
ALTER TABLE immo_app.property_imports ADD COLUMN error_counts jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE immo_app.property_imports ADD COLUMN errors_kept integer NOT NULL DEFAULT 0 CHECK (errors_kept BETWEEN 0 AND 1000);
UPDATE immo_app.property_imports
SET row_errors = jsonb_path_query_array(row_errors, '$[0 to 999]'),
    errors_kept = least(jsonb_array_length(row_errors), 1000);
