-- Hotels whose Elasticsearch document an index behind the alias refused, by
-- alias, for the staygraph_search_index_refusals gauge (no series: none).
SELECT index_alias, count(DISTINCT hotel_id) FROM search_index_refusals GROUP BY index_alias;
