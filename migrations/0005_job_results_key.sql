-- Job ids are unique within a queue only while its id counter lives: obliterating a queue (or a
-- second deployment sharing the database under another Redis prefix) starts them at 1 again.
-- Keyed by (queue, job_id) alone, a new job of one tenant could then collide with an old row of
-- another tenant, which row-level security hides, and the upsert would fail for good. The tenant
-- is part of the key instead.
ALTER TABLE public.job_results DROP CONSTRAINT job_results_pkey;
ALTER TABLE public.job_results ADD PRIMARY KEY (tenant_id, queue, job_id);
