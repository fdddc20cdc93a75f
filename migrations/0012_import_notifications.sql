-- "Tell me when this import finishes": a webhook about a property import, delivered and recorded
-- like an intervention's notification (one row per job and endpoint), about an import instead.
-- Endpoints receive it when subscribed to the event `import_finished` (new endpoints are, by
-- default).

ALTER TABLE inter_app.notifications ALTER COLUMN intervention_id DROP NOT NULL;
ALTER TABLE inter_app.notifications ADD COLUMN import_id uuid;
ALTER TABLE inter_app.notifications ADD CONSTRAINT notifications_import_fkey
    FOREIGN KEY (tenant_id, import_id) REFERENCES immo_app.property_imports (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE inter_app.notifications ADD CONSTRAINT notifications_one_subject
    CHECK ((intervention_id IS NULL) <> (import_id IS NULL));
ALTER TABLE inter_app.notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE inter_app.notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('scheduled', 'rescheduled', 'en_route', 'completed', 'cancelled', 'import_finished'));
CREATE INDEX notifications_import ON inter_app.notifications (tenant_id, import_id, created_at DESC) WHERE import_id IS NOT NULL;

ALTER TABLE inter_app.webhook_endpoints ALTER COLUMN events
    SET DEFAULT ARRAY['scheduled', 'rescheduled', 'en_route', 'completed', 'cancelled', 'import_finished'];
