package elasticsearch

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// catalogBundle is the suite's catalog in a fresh database, with the
// suite's two holds: Montmartre's only double on 2027-06-20 and one of
// Lumiere's two doubles on 2027-06-21.
type catalogBundle struct {
	pool *pgxpool.Pool
	cat  searchtest.Catalog
}

func setupCatalog(t *testing.T) catalogBundle {
	t.Helper()
	pool := pgtest.NewDB(t)
	cat := searchtest.Load(t, pool)
	cat.Hold(t, "montmartre/Double", 1, *day("2027-06-20"), *day("2027-06-21"))
	cat.Hold(t, "lumiere/Double", 1, *day("2027-06-21"), *day("2027-06-22"))
	return catalogBundle{pool: pool, cat: cat}
}

// names replaces the catalog's generated ids with readable names, so bodies
// can be compared with golden files.
func (b catalogBundle) names() *strings.Replacer {
	var pairs []string
	for k, id := range b.cat.Hotels {
		pairs = append(pairs, id.String(), "hotel:"+k)
	}
	for k, id := range b.cat.RoomTypes {
		pairs = append(pairs, id.String(), "room_type:"+k)
	}
	return strings.NewReplacer(pairs...)
}

func byID(docs []Document, id uuid.UUID) *Document {
	for i := range docs {
		if docs[i].ID == id {
			return &docs[i]
		}
	}
	return nil
}

func roomTypeDoc(d *Document, id uuid.UUID) *RoomTypeDocument {
	for i := range d.RoomTypes {
		if d.RoomTypes[i].ID == id {
			return &d.RoomTypes[i]
		}
	}
	return nil
}

func TestBuildDocuments(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	ctx := context.Background()
	ids := []uuid.UUID{b.cat.Hotels["montmartre"], b.cat.Hotels["lumiere"], b.cat.Hotels["tokyo"], uuid.New()}
	// The suite's rates run from 2027-06-01 for 60 nights, to 2027-07-30.
	docs, err := BuildDocuments(ctx, b.pool, ids, time.Date(2027, 6, 18, 15, 0, 0, 0, time.UTC), 45)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("%d documents for 3 hotels and a missing one", len(docs))
	}
	montmartre := byID(docs, b.cat.Hotels["montmartre"])
	if montmartre.TimeZone != "Europe/Paris" || montmartre.Currency != "EUR" || montmartre.Stars != 2 ||
		!slices.Equal(montmartre.Amenities, []string{"free_wifi"}) || montmartre.NightsFrom != "2027-06-18" || montmartre.NightsUntil != "2027-08-02" {
		t.Errorf("Montmartre: %+v", montmartre)
	}
	double := roomTypeDoc(montmartre, b.cat.RoomTypes["montmartre/Double"])
	if double.Units != 1 || !slices.Equal(double.ShortNights1, []string{"2027-06-20"}) || double.ShortNights2 != nil {
		t.Errorf("Montmartre's double is short on the held night only: %+v", double)
	}
	if !slices.Equal(double.UnpricedNights, []string{"2027-07-31", "2027-08-01"}) {
		t.Errorf("nights past the rates are unpriced: %v", double.UnpricedNights)
	}
	// 60.00 EUR at 0.92 EUR per USD.
	if double.PriceFrom == nil || *double.PriceFrom != 6000 || double.PriceFromUSDCents == nil ||
		math.Abs(*double.PriceFromUSDCents-6521.739) > 0.01 || *double.PriceToUSDCents != *double.PriceFromUSDCents {
		t.Errorf("Montmartre's price: %v %v %v", double.PriceFrom, double.PriceFromUSDCents, double.PriceToUSDCents)
	}
	lumiere := roomTypeDoc(byID(docs, b.cat.Hotels["lumiere"]), b.cat.RoomTypes["lumiere/Double"])
	if lumiere.Units != 2 || lumiere.ShortNights1 != nil || !slices.Equal(lumiere.ShortNights2, []string{"2027-06-21"}) {
		t.Errorf("one of Lumiere's two doubles is held on 2027-06-21: %+v", lumiere)
	}
	family := roomTypeDoc(byID(docs, b.cat.Hotels["lumiere"]), b.cat.RoomTypes["lumiere/Family"])
	if family.Units != 1 || family.MaxChildren != 2 || family.MaxOccupancy != 4 || family.ShortNights1 != nil {
		t.Errorf("Lumiere's family room: %+v", family)
	}
	if montmartre.Version <= 0 || byID(docs, b.cat.Hotels["tokyo"]).Version != montmartre.Version {
		t.Errorf("documents of one snapshot share its WAL position: %d", montmartre.Version)
	}

	// A later build, after a change, carries a higher version.
	b.cat.Hold(t, "montmartre/Double", 1, *day("2027-06-25"), *day("2027-06-26"))
	again, err := BuildDocuments(ctx, b.pool, ids[:1], *day("2027-06-18"), 45)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Version <= montmartre.Version {
		t.Errorf("version after a change %d, before %d", again[0].Version, montmartre.Version)
	}
	if got := roomTypeDoc(&again[0], b.cat.RoomTypes["montmartre/Double"]).ShortNights1; !slices.Equal(got, []string{"2027-06-20", "2027-06-25"}) {
		t.Errorf("short nights after the second hold: %v", got)
	}
}

// KWD stays cost a multiple of 10 fils, the tax taking the rounding
// (money.TaxedTotal): a room type's price is what a night at its lowest rate
// costs, and its bounds in US cents hold the average nightly price of every
// stay as quoted, so that a price range never hides a stay PostgreSQL
// would show.
func TestDocumentPricesInCashSteps(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	b.cat.AddKuwaitHotel(t, b.pool)
	from := *day("2027-06-18")
	docs, err := BuildDocuments(context.Background(), b.pool, []uuid.UUID{b.cat.Hotels["kuwait"]}, from, 10)
	if err != nil || len(docs) != 1 {
		t.Fatalf("%d documents: %v", len(docs), err)
	}
	double := roomTypeDoc(&docs[0], b.cat.RoomTypes["kuwait/Double"])
	if double.PriceFrom == nil || double.PriceFromUSDCents == nil || double.PriceToUSDCents == nil {
		t.Fatalf("the Kuwaiti double is not priced: %+v", double)
	}
	// 45.000 KWD and 7.5 % tax are 48.375, charged as 48.380
	if *double.PriceFrom != 48380 {
		t.Errorf("the Kuwaiti double's price from %d fils, want 48380", *double.PriceFrom)
	}
	for nights := 1; nights <= 4; nights++ {
		quote := b.cat.Quote(t, "kuwait/Double", 1, from, from.AddDate(0, 0, nights))
		// 0.307 KWD to the dollar (the indicative rate of 00003)
		avg := toUSDCents(float64(quote.Total)/float64(nights), 0.307, 3)
		if avg < *double.PriceFromUSDCents || avg > *double.PriceToUSDCents {
			t.Errorf("%d nights cost %d fils, %.3f US cents a night, outside the document's %.3f to %.3f",
				nights, quote.Total, avg, *double.PriceFromUSDCents, *double.PriceToUSDCents)
		}
	}
}

func TestBulkBody(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	docs, err := BuildDocuments(context.Background(), b.pool, []uuid.UUID{b.cat.Hotels["montmartre"], b.cat.Hotels["lumiere"]}, *day("2027-06-18"), 5)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(docs, func(x, y Document) int {
		return strings.Compare(b.names().Replace(x.ID.String()), b.names().Replace(y.ID.String()))
	})
	for i := range docs {
		docs[i].Version = 4242 // the WAL position differs from run to run
	}
	e := NewEngine(nil, nil, Opts{})
	upsert, err := bulkBody(e.writeTargets(), true, docs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "bulk_upsert.golden.ndjson", []byte(b.names().Replace(string(upsert))))
	del, err := bulkBody(e.writeTargets(), true, nil, []uuid.UUID{b.cat.Hotels["tokyo"]}, docs[0].Version+1)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "bulk_delete.golden.ndjson", []byte(b.names().Replace(string(del))))
	rebuild, err := bulkBody([]string{"staygraph-hotels-v1-20270610t110000.000000"}, false, docs[:1], nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "bulk_rebuild.golden.ndjson", []byte(b.names().Replace(string(rebuild))))
}

func TestLoadAllYieldsEveryHotelInBatches(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	seen := map[uuid.UUID]bool{}
	err := LoadAll(context.Background(), b.pool, *day("2027-06-18"), 3, 2)(func(d Document) error {
		if seen[d.ID] {
			t.Errorf("%s yielded twice", d.ID)
		}
		seen[d.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(b.cat.Hotels) {
		t.Errorf("yielded %d of %d hotels", len(seen), len(b.cat.Hotels))
	}
}
