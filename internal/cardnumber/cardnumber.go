// Package cardnumber finds payment card numbers (PANs) in text, so the API
// can refuse them before they reach a resolver, a database row or a log line.
// staygraph never handles card data: clients pay with a payment provider's
// token, and a card number in a request is always a mistake to refuse.
//
// A card number here is a run of 13 to 19 ASCII digits, optionally split
// into groups by spaces or dashes, that starts with 2 to 6 (the issuer
// ranges of Visa, Mastercard, American Express, Discover, JCB, Diners Club,
// UnionPay and Maestro) and whose check digit is valid (Luhn).
//
// To keep honest data flowing, a run is not a card number when it is part of
// a word or an identifier (it touches a letter, an underscore, or a dash
// joining it to one: a UUID, a booking reference, "hold-1712345678901";
// but a card's name before a dash labels it: "VISA-4111…" is a card),
// when it follows "+" (a phone number), or when it is one unbroken run of
// more than 19 digits (a long id). A longer run made of groups is searched
// for a card-shaped stretch of groups, so "4111 1111 1111 1111 2027" is
// caught while all-digit UUIDs are not.
package cardnumber

import "strings"

// Lengths of a card number, in digits.
const (
	minDigits = 13
	maxDigits = 19
)

// maxSeparators is how many spaces or dashes may stand between two groups.
const maxSeparators = 3

// span is a byte range [start, end) of a card number in a string.
type span struct{ start, end int }

// Contains reports whether s holds a card number.
func Contains(s string) bool {
	found := false
	scan(s, func(span) bool {
		found = true
		return false
	})
	return found
}

// Redact returns s with every card number replaced by "[card number]".
func Redact(s string) string {
	var spans []span
	scan(s, func(sp span) bool {
		spans = append(spans, sp)
		return true
	})
	if len(spans) == 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	last := 0
	for _, sp := range spans {
		out = append(out, s[last:sp.start]...)
		out = append(out, "[card number]"...)
		last = sp.end
	}
	return string(append(out, s[last:]...))
}

// group is one run of digits of a candidate.
type group struct{ start, end int }

// scan calls found with every card number in s, in order, until found
// returns false.
func scan(s string, found func(span) bool) {
	groups := make([]group, 0, 8)
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		// A candidate: digit groups joined by short runs of separators.
		groups = groups[:0]
		start := i
		for {
			g := group{start: i}
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			g.end = i
			groups = append(groups, g)
			j := i
			for j < len(s) && j-i < maxSeparators && isSeparator(s[j]) {
				j++
			}
			if j == i || j >= len(s) || !isDigit(s[j]) {
				break
			}
			i = j
		}
		end := i
		if joinedBefore(s, start) || joinedAfter(s, end) {
			continue // part of a word, an identifier or a phone number
		}
		if !candidate(s, groups, found) {
			return
		}
	}
}

// candidate reports the card numbers among one candidate's groups and
// returns false when found asked to stop.
func candidate(s string, groups []group, found func(span) bool) bool {
	if whole(s, groups) {
		return found(span{groups[0].start, groups[len(groups)-1].end})
	}
	if len(groups) == 1 {
		return true // one run: too short, too long (an id) or not a card
	}
	// Several groups: look for a card-shaped stretch of them, such as a card
	// number followed by its expiry date. The groups before and after it are
	// then candidates of their own, as they would be if it were not there.
	for a := range groups {
		n := 0
		for b := a; b < len(groups); b++ {
			n += groups[b].end - groups[b].start
			if n > maxDigits {
				break
			}
			if n < minDigits || !cardGrouping(groups[a:b+1]) || !isCard(s, groups[a:b+1]) {
				continue
			}
			if a > 0 && whole(s, groups[:a]) && !found(span{groups[0].start, groups[a-1].end}) {
				return false
			}
			if !found(span{groups[a].start, groups[b].end}) {
				return false
			}
			if b+1 == len(groups) {
				return true
			}
			return candidate(s, groups[b+1:], found)
		}
	}
	return true
}

// whole reports whether all of groups together are a card number.
func whole(s string, groups []group) bool {
	total := 0
	for _, g := range groups {
		total += g.end - g.start
	}
	return minDigits <= total && total <= maxDigits && isCard(s, groups)
}

// cardGrouping reports whether groups are laid out the way card numbers are
// printed: one run, fours with a shorter last group (Visa, Mastercard,
// 19-digit cards), or 4-6-5 and 4-6-4 (American Express, Diners Club).
func cardGrouping(groups []group) bool {
	if len(groups) == 1 {
		return true
	}
	lens := make([]int, len(groups))
	for i, g := range groups {
		lens[i] = g.end - g.start
	}
	if len(lens) == 3 && lens[0] == 4 && lens[1] == 6 && (lens[2] == 5 || lens[2] == 4) {
		return true
	}
	for i, n := range lens {
		if n != 4 && (i != len(lens)-1 || n > 4) {
			return false
		}
	}
	return true
}

// isCard reports whether the digits of groups form a number in the issuer
// ranges of card networks (first digit 2 to 6) that passes the Luhn check.
func isCard(s string, groups []group) bool {
	if first := s[groups[0].start]; first < '2' || first > '6' {
		return false
	}
	sum, double := 0, false
	for gi := len(groups) - 1; gi >= 0; gi-- {
		g := groups[gi]
		for i := g.end - 1; i >= g.start; i-- {
			d := int(s[i] - '0')
			if double {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
	}
	return sum%10 == 0
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func isSeparator(b byte) bool { return b == ' ' || b == '-' }

// isWordByte reports whether b belongs to a word or identifier: an ASCII
// letter, digit or underscore.
func isWordByte(b byte) bool {
	return isDigit(b) || b == '_' || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

// joinedBefore reports whether the digits starting at start continue what
// comes before them: a word ("abc123…"), a dashed identifier ("hold-123…")
// or an international phone number ("+44…"). A card's name before a dash
// labels the number rather than joining it ("VISA-4111…").
func joinedBefore(s string, start int) bool {
	if start == 0 {
		return false
	}
	switch b := s[start-1]; {
	case isWordByte(b), b == '+':
		return true
	case b == '-':
		return start >= 2 && isWordByte(s[start-2]) && !cardWords[strings.ToLower(wordBefore(s, start-1))]
	}
	return false
}

// cardWords name a card, its network or its number.
var cardWords = map[string]bool{
	"card": true, "cc": true, "pan": true, "visa": true, "mastercard": true, "mc": true, "amex": true,
	"discover": true, "diners": true, "jcb": true, "unionpay": true, "maestro": true, "cb": true,
}

// wordBefore is the run of word bytes that ends at end.
func wordBefore(s string, end int) string {
	start := end
	for start > 0 && isWordByte(s[start-1]) {
		start--
	}
	return s[start:end]
}

// joinedAfter reports whether the digits ending at end run on into a word,
// directly or through a dash ("…123abc", "…123-abc").
func joinedAfter(s string, end int) bool {
	if end >= len(s) {
		return false
	}
	switch b := s[end]; {
	case isWordByte(b):
		return true
	case b == '-':
		return end+1 < len(s) && isWordByte(s[end+1])
	}
	return false
}
