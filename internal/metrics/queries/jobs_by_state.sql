-- Background jobs by River state and kind, for the staygraph_jobs gauge:
-- one range of the state-led index for the states listed, then the few jobs
-- of each state by kind (a refund that gave up is told from a bounced
-- email). Not the completed ones: River keeps them a day, one per delivery,
-- refund and partner post, and counting them read the whole table on every
-- scrape (1 s at a million jobs). The states are constants, so that the
-- planner reads their share of the table from its statistics: joined to
-- enum_range, it took each for an average state's and scanned the table
-- (100 ms at a million jobs, 2,000 of them not completed). A state without
-- jobs has no series.
SELECT j.state::text, j.kind, count(*)
FROM river_job j
WHERE j.state IN ('available', 'cancelled', 'discarded', 'pending', 'retryable', 'running', 'scheduled')
GROUP BY 1, 2;
