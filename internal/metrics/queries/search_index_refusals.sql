-- Hotels whose Elasticsearch document the index refused, by index alias,
-- for the staygraph_search_index_refusals gauge (no series: none refused).
SELECT index_alias, count(*) FROM search_index_refusals GROUP BY index_alias;
