-- Background jobs by River state and kind, for the staygraph_jobs gauge:
-- one range of the state-led index per state, then the few jobs of that
-- state by kind (a refund that gave up is told from a bounced email). Not
-- the completed ones: River keeps them a day, one per delivery, refund and
-- partner post, and counting them read the whole table on every scrape (1 s
-- at a million jobs). A state without jobs has no series.
SELECT s.state::text, j.kind, count(*)
FROM unnest(enum_range(NULL::river_job_state)) s(state)
JOIN river_job j ON j.state = s.state
WHERE s.state <> 'completed'
GROUP BY 1, 2;
