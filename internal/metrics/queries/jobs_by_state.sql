-- Background jobs by River state, for the staygraph_jobs gauge: one range
-- of the state-led index each. Not the completed ones: River keeps them a
-- day, one per delivery, refund and partner post, and counting them read
-- the whole table on every scrape (1 s at a million jobs).
SELECT s.state::text, (SELECT count(*) FROM river_job j WHERE j.state = s.state)
FROM unnest(enum_range(NULL::river_job_state)) s(state)
WHERE s.state <> 'completed';
