-- Background jobs by River state, for the staygraph_jobs gauge.
SELECT state::text, count(*) FROM river_job GROUP BY state;
