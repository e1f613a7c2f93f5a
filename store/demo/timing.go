package demo

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/wardpolice/enroll"
	"github.com/wardpolice/enroll/store"
)

// SearchQueries are what officers type: full names with and without diacritics, a family name
// (the broadest: hundreds of matches), a given name, two name words the other way round, and
// of the newest record in st the whole ID number, its first six digits (province, century and
// gender, birth year: thousands of matches on a real station), the phone and the record code.
func SearchQueries(ctx context.Context, st *store.Store) ([]string, error) {
	qs := []string{"Nguyễn Văn An", "nguyen van an", "tran thi", "NGUYEN", "anh", "Đặng Quốc", "an nguyen"}
	newest, err := st.List(ctx, store.Filter{Limit: 1})
	if err != nil {
		return nil, err
	}
	for _, r := range newest {
		id := string(r.PersonalID)
		qs = append(qs, id, id[:min(6, len(id))], r.Phone, enroll.RecordCode(r.ID))
	}
	return qs, nil
}

// Timing is how long one query took over repeated runs.
type Timing struct {
	Query     string
	Results   int
	Mean, P50 time.Duration
	P99, Max  time.Duration
}

// MeasureSearch runs each query n times against the store (limit 200 results, as the home
// screen asks) and reports latency percentiles.
func MeasureSearch(ctx context.Context, st *store.Store, queries []string, n int) ([]Timing, error) {
	var out []Timing
	for _, q := range queries {
		d := make([]time.Duration, n)
		var results int
		for i := range n {
			t0 := time.Now()
			res, err := st.Search(ctx, q, 200)
			d[i] = time.Since(t0)
			if err != nil {
				return nil, fmt.Errorf("search %q: %w", q, err)
			}
			results = len(res)
		}
		slices.Sort(d)
		var sum time.Duration
		for _, x := range d {
			sum += x
		}
		out = append(out, Timing{Query: q, Results: results, Mean: sum / time.Duration(n),
			P50: d[n/2], P99: d[min(n-1, n*99/100)], Max: d[n-1]})
	}
	return out, nil
}

// PrintTimings writes the timings as a table.
func PrintTimings(w io.Writer, records int, ts []Timing) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "search over %d records (limit 200 results)\n", records)
	fmt.Fprintln(tw, "query\tresults\tmean\tp50\tp99\tmax\t")
	for _, t := range ts {
		fmt.Fprintf(tw, "%q\t%d\t%s\t%s\t%s\t%s\t\n", t.Query, t.Results, t.Mean.Round(time.Microsecond),
			t.P50.Round(time.Microsecond), t.P99.Round(time.Microsecond), t.Max.Round(time.Microsecond))
	}
	tw.Flush()
}
