// Package elasticsearch is the search engine for catalogs and traffic that
// outgrow one database: an Elasticsearch index of hotels, kept current by
// the CDC indexer (BuildDocuments + Upsert), answers the query, and every
// page is then confirmed against PostgreSQL, the source of truth.
//
// # Documents
//
// One document per hotel (Document), with its room types as nested
// documents. Availability is precomputed for a window of local nights
// (DefaultNights from the build day) as, per room type:
//
//   - units: rooms in service, the most any night can offer;
//   - short_nights_n (n = 1..search.MaxRooms, kept for n ≤ units): the
//     nights on which fewer than n units are free, free being
//     least(rooms in service, capacity − reserved) as in search.sql, and a
//     night without an inventory row having every room free;
//   - unpriced_nights: the nights no rate plan has a rate for.
//
// "n units free and priced on every night of [ci, co)" is then units ≥ n
// and no date of short_nights_n or unpriced_nights in [ci, co): one nested
// filter with two must_not date ranges. Nights outside the window are
// unknown to the index and never exclude a hotel; PostgreSQL rules on them.
// unpriced_nights is per room type, not per rate plan: a stay whose nights
// are priced by different plans, none covering all, passes the index and
// is dropped by PostgreSQL.
//
// # Time zones
//
// Stays are dates of each hotel's calendar, so dates are stored and queried
// as plain dates, and each document carries its IANA time_zone (also on the
// room types, for nested filters). "The hotel's business date is after
// check-in" (hoteldate.BusinessDate: a hotel's day runs from 06:00 to 06:00
// local, so until 06:00 the night in progress is not past) is computed in
// Go, DST-safe, for each zone present in the index (a terms aggregation,
// cached for Opts.CacheFor): those zones are excluded with a must_not terms
// filter. An arrival instant is turned into each zone's local check-in
// night, its business date at that instant (before hoteldate.Cutoff
// local time, the night before); zones whose night is before their
// business date now are left out, the others grouped by that night, and the
// nested filter is a should of (time_zone in group ∧ stay of that night). A zone that appears
// in the index after the cache was filled is not excluded by date (its
// pages are confirmed) and not found by arrival until the cache refreshes.
//
// # Prices
//
// A stay's price is a sum over its nights, which the index cannot compute.
// Each room type stores the lowest and highest nightly rate of the window,
// tax included, in US cents at build-time exchange rates
// (price_from_usd_cents, price_to_usd_cents); in a currency whose totals
// are rounded to a cash step (money.TaxedTotal: tens of fils in KWD), half
// a step lower and up to a step higher, as a stay's average can be. A
// price range becomes necessary conditions on them — some free room type's
// lowest rate ≤ max, and no free room type whose highest rate is < min,
// with half a minor unit of slack — so the index never hides a hotel
// PostgreSQL would show; the exact stay price is checked on each page. Sorting by price orders by the
// lowest window rate of the room types free for the stay (a nested sort,
// mode min), which equals search.sql's order when rates are flat over the
// window (to within that half step in a cash-step currency) and
// approximates it otherwise. The price facet counts each hotel
// once, at the lowest window rate of its free room types: cumulative
// counts below each edge (range + reverse_nested) are differenced.
//
// # Truth on the page
//
// After Elasticsearch returns a page, one PostgreSQL query (confirm.sql,
// the stay half of search.sql) recomputes for the page's hotels their local
// stay, the room types that house the party with units free on every night
// and a rate plan priced for all of them, totals, units left and the exact
// nightly price against the range. Hits PostgreSQL does not confirm are
// dropped and the page is topped up from the next candidates (at most
// Opts.MaxRounds requests), so a page never offers a room PostgreSQL knows
// is gone, nor a price it would not charge. Hit order and cursors follow
// the index (search_after on the sort value and the id); TotalCount and
// Facets come from the index, less the hits this page dropped, and can lag
// the database by the indexer's delay.
//
// # Index management
//
// The engine reads and writes the alias Opts.Alias (DefaultAlias) over
// versioned indices named <alias>-v<MappingVersion>-<timestamp>, with an
// explicit strict mapping. Init creates the first index; Rebuild fills a new
// one and moves the alias in one _aliases call. Documents are written with
// external_gte versions taken from the WAL position of the snapshot they
// were built from, so a late write of an older build never replaces a newer
// one; deletes carry a WAL position read after their hotels were seen gone,
// so an older build arriving after one does not bring its hotel back (while
// Elasticsearch keeps the delete's tombstone: index.gc_deletes, a day). While a
// Rebuild runs, Upsert and Delete also write to the new index through
// <alias>-next.
package elasticsearch
