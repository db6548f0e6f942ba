-- Exchange rates, to turn a query's price range and facet edges into the
-- US cents the index compares.
SELECT currency::text, per_usd::float8, minor_digits::int FROM exchange_rates;
