package metrics

import "sync"

// otherLabel stands for every label value past a labelSet's cap.
const otherLabel = "other"

// maxLabelLen bounds one label value; longer values count as "other".
const maxLabelLen = 100

// labelSet bounds the cardinality of a label whose values come from
// clients: known values always pass, up to max others pass in the order
// first seen, and the rest become "other".
type labelSet struct {
	mu    sync.RWMutex
	known map[string]bool
	seen  map[string]bool
	max   int
}

func newLabelSet(known []string, max int) *labelSet {
	s := &labelSet{known: map[string]bool{}, seen: map[string]bool{}, max: max}
	for _, k := range known {
		s.known[k] = true
	}
	return s
}

// addKnown makes names always pass.
func (s *labelSet) addKnown(names []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		s.known[n] = true
	}
}

// label returns the value to record v under.
func (s *labelSet) label(v string) string {
	if len(v) > maxLabelLen {
		return otherLabel
	}
	s.mu.RLock()
	ok := s.known[v] || s.seen[v]
	s.mu.RUnlock()
	if ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known[v] || s.seen[v] {
		return v
	}
	if len(s.seen) >= s.max {
		return otherLabel
	}
	s.seen[v] = true
	return v
}
