-- +goose Up
-- A room's total with tax as the booking core prices it (money.TaxedTotal),
-- for the search engines' statements (search.sql, confirm.sql) to agree
-- with quotes and holds: the tax rounded half up to the minor unit, and in
-- the currencies cards settle in coarser steps (money.CashStep: the
-- three-decimal ones in tens of their minor unit, MGA in whole ariary) the
-- total rounded to that step, halves up, never below the rates. A list of
-- currencies added to money.CashStep is added here too (a test compares
-- the two for every currency). One SQL expression, immutable and not
-- strict, so PostgreSQL inlines it where it is called: a CASE per row, no
-- function call, and for other currencies the formula search.sql had.
-- +goose StatementBegin
CREATE FUNCTION taxed_total(amount bigint, tax_rate_bps integer, currency char(3)) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN currency IN ('BHD', 'JOD', 'KWD', 'OMR', 'TND')
        THEN greatest((amount + (amount * tax_rate_bps + 5000) / 10000 + 5) / 10, (amount + 9) / 10) * 10
    WHEN currency = 'MGA'
        THEN greatest((amount + (amount * tax_rate_bps + 5000) / 10000 + 50) / 100, (amount + 99) / 100) * 100
    ELSE amount + (amount * tax_rate_bps + 5000) / 10000
END;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION taxed_total(bigint, integer, char);
