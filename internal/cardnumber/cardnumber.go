// Package cardnumber finds payment card numbers (PANs) in text, so the API
// can refuse them before they reach a resolver, a database row or a log line.
// staygraph never handles card data: clients pay with a payment provider's
// token, and a card number in a request is always a mistake to refuse.
//
// A card number here is a run of 13 to 19 digits, optionally split into
// groups, that starts in an issuer range of a card network (issuerRange:
// Visa, Mastercard, Maestro, American Express, Discover, Diners Club, JCB,
// UnionPay, RuPay, Mir, Troy, UzCard, Humo, UATP, T-Union) and whose check
// digit is valid (Luhn). Full-width digits (０-９, as Japanese
// and Chinese input methods type them) count as the digits they are.
//
// Two groups are separated by at most three characters, which are either
//
//   - spaces only: of any kind, mixed as they come (space, tab, no-break
//     space, full-width space and the other Unicode space separators), or
//   - one mark, repeated or not, with spaces before or after it: a dash
//     ("-", hyphen U+2010, non-breaking hyphen U+2011, figure dash, en dash
//     "–", em dash "—", full-width "－"), a dot ("." or full-width "．") or
//     an underscore: "4111-1111", "4111 - 1111", "4111. 1111", "4111..1111".
//
// Groups split by spaces and "-" may have any lengths. Groups split by any
// other mark must be laid out as card numbers are printed (fours with a
// shorter last group, or 4-6-5 and 4-6-4), so that dates, versions and
// amounts ("4.111.111.111.111.111,00") are not mistaken for one. Nothing
// else splits a card number: not commas, semicolons, slashes, colons,
// pipes or line breaks, which lists ("rooms 2101,2102,2103,2104",
// "2023/2024/2025/2026"), dates, times ("10:30:45:12"), ratios and amounts
// use; the digits on either side of them are numbers of their own.
//
// To keep honest data flowing, a run is not a card number when it is part of
// a word or an identifier (it touches an ASCII letter, an underscore, or a
// dash joining it to one: a UUID, a booking reference, "hold-1712345678901";
// but a card's name before a dash labels it: "VISA-4111…" is a card),
// when it follows "+" (a phone number), or when it is one unbroken run of
// more than 19 digits (a long id). An exponent after a run does not make it
// a word: "4111111111111111e0" is a number, and a card. A longer run made of
// groups is searched for a card-shaped stretch of groups, so
// "4111 1111 1111 1111 2027" is caught while all-digit UUIDs are not.
package cardnumber

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lengths of a card number, in digits.
const (
	minDigits = 13
	maxDigits = 19
)

// maxSeparators is how many separator characters may stand between two
// groups.
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

// unit is one character of the scanned string: r is the character, full-
// width digits as their ASCII digit, and [start, end) its bytes.
type unit struct {
	r          rune
	start, end int
}

// units decodes s for scanning.
func units(s string) []unit {
	out := make([]unit, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if '０' <= r && r <= '９' {
			r = '0' + (r - '０')
		}
		out = append(out, unit{r: r, start: i, end: i + n})
		i += n
	}
	return out
}

// hasDigit reports whether s holds an ASCII or a full-width digit.
func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		// Full-width digits are EF BC 90 to EF BC 99 in UTF-8.
		if isDigit(rune(s[i])) || s[i] == 0xEF && i+2 < len(s) && s[i+1] == 0xBC && 0x90 <= s[i+2] && s[i+2] <= 0x99 {
			return true
		}
	}
	return false
}

// group is one run of digits of a candidate, as indexes of units. spaced
// is a group that only spaces and dashes separate from the one before.
type group struct {
	start, end int
	spaced     bool
}

// scan calls found with every card number in s, in order, until found
// returns false.
func scan(s string, found func(span) bool) {
	if !hasDigit(s) {
		return
	}
	u := units(s)
	groups := make([]group, 0, 8)
	for i := 0; i < len(u); {
		if !isDigit(u[i].r) {
			i++
			continue
		}
		// A candidate: digit groups joined by short runs of separators.
		groups = groups[:0]
		start, gapSpaced, ok := i, false, false
		for {
			g := group{start: i, spaced: gapSpaced}
			for i < len(u) && isDigit(u[i].r) {
				i++
			}
			g.end = i
			groups = append(groups, g)
			j := i
			for j < len(u) && j-i < maxSeparators && isSeparator(u[j].r) {
				j++
			}
			if j == i || j >= len(u) || !isDigit(u[j].r) {
				break
			}
			if gapSpaced, ok = separation(u[i:j]); !ok {
				break
			}
			i = j
		}
		end := i
		if joinedBefore(u, start) || joinedAfter(u, end) {
			continue // part of a word, an identifier or a phone number
		}
		c := candidates{u: u, found: found}
		if !c.search(groups) {
			return
		}
	}
}

// separation reports whether seps may separate two groups of a card
// number, and whether they are spaces and dashes ("-"), which need no card
// layout. Spaces of any kind may, mixed ("4111 \u00a01111"), or one mark
// repeated with spaces before or after it ("4111 - 1111", "4111. 1111",
// "4111..1111"); two marks may not ("4111-.1111").
func separation(seps []unit) (spaced, ok bool) {
	var mark rune
	afterMark := false
	for _, c := range seps {
		switch {
		case isSpace(c.r):
			afterMark = mark != 0
		case mark == 0:
			mark = c.r
		case c.r != mark || afterMark:
			return false, false
		}
	}
	return mark == 0 || mark == '-', true
}

// candidates finds the card numbers among the groups of one candidate.
type candidates struct {
	u     []unit
	found func(span) bool
}

// report calls found with the span of groups.
func (c candidates) report(groups []group) bool {
	return c.found(span{c.u[groups[0].start].start, c.u[groups[len(groups)-1].end-1].end})
}

// search reports the card numbers among groups and returns false when found
// asked to stop.
func (c candidates) search(groups []group) bool {
	if c.whole(groups) {
		return c.report(groups)
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
			if n < minDigits || !cardGrouping(groups[a:b+1]) || !isCard(c.u, groups[a:b+1]) {
				continue
			}
			if a > 0 && c.whole(groups[:a]) && !c.report(groups[:a]) {
				return false
			}
			if !c.report(groups[a : b+1]) {
				return false
			}
			if b+1 == len(groups) {
				return true
			}
			return c.search(groups[b+1:])
		}
	}
	return true
}

// whole reports whether all of groups together are a card number.
func (c candidates) whole(groups []group) bool {
	total := 0
	for _, g := range groups {
		total += g.end - g.start
	}
	return minDigits <= total && total <= maxDigits && (spaced(groups) || cardGrouping(groups)) && isCard(c.u, groups)
}

// spaced reports whether only spaces and dashes separate groups: they then
// need no card layout.
func spaced(groups []group) bool {
	for _, g := range groups[1:] {
		if !g.spaced {
			return false
		}
	}
	return true
}

// cardGrouping reports whether groups are laid out the way card numbers are
// printed (PrintedLayout).
func cardGrouping(groups []group) bool {
	lens := make([]int, len(groups))
	for i, g := range groups {
		lens[i] = g.end - g.start
	}
	return PrintedLayout(lens)
}

// PrintedLayout reports whether digit groups of these lengths are laid out
// the way card numbers are printed: one run, fours with a shorter last group
// (Visa, Mastercard, 19-digit cards), or 4-6-5 and 4-6-4 (American Express,
// Diners Club).
func PrintedLayout(lens []int) bool {
	if len(lens) == 1 {
		return true
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
// ranges of card networks (issuerRange) that passes the Luhn check.
func isCard(u []unit, groups []group) bool {
	if !issuerRange(u, groups) {
		return false
	}
	sum, double := 0, false
	for gi := len(groups) - 1; gi >= 0; gi-- {
		g := groups[gi]
		for i := g.end - 1; i >= g.start; i-- {
			d := int(u[i].r - '0')
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

// issuerRange reports whether the digits of groups start as a card
// network's numbers of their length do: 4 (Visa), 5 (Mastercard, Maestro),
// 6 (Discover, UnionPay, Maestro, RuPay), 30 and 34 to 39 (Diners Club,
// American Express, JCB), 2200 to 2204 (Mir), 2221 to 2720 (Mastercard),
// 81 and 82 (UnionPay, RuPay), 8600 (UzCard), 9792 (Troy), 9860 (Humo); with
// 15 digits also 1 (UATP, airlines' cards), 1800 and 2131 (JCB); with 19
// also 31 (China T-Union). Lists of room numbers and years mostly fall
// outside: "2101 2102 2103 2104" passes the Luhn check, but no card starts
// 2101.
func issuerRange(u []unit, groups []group) bool {
	prefix, digits := 0, 0 // prefix: the first four digits
	for _, g := range groups {
		for i := g.start; i < g.end; i++ {
			if digits < 4 {
				prefix = prefix*10 + int(u[i].r-'0')
			}
			digits++
		}
	}
	switch first := prefix / 1000; {
	case first >= 4 && first <= 6:
		return true
	case first == 3:
		return prefix < 3100 || prefix >= 3400 || prefix/100 == 31 && digits == 19
	case first == 2:
		return 2200 <= prefix && prefix <= 2204 || 2221 <= prefix && prefix <= 2720 || prefix == 2131 && digits == 15
	case first == 1:
		return digits == 15
	case first == 8:
		return prefix/100 == 81 || prefix/100 == 82 || prefix == 8600
	case first == 9:
		return prefix == 9792 || prefix == 9860
	}
	return false
}

// isDigit reports whether r is a digit 0 to 9 (full-width ones are
// normalised by units).
func isDigit(r rune) bool { return '0' <= r && r <= '9' }

// isSeparator reports whether r may stand between two groups of a card
// number: a space or a mark.
func isSeparator(r rune) bool { return isSpace(r) || isMark(r) }

// isSpace reports whether r is a space of any kind: a tab or a Unicode
// space separator (space, no-break space, full-width space, thin spaces…).
// Line breaks are not: they end a number.
func isSpace(r rune) bool { return r == '\t' || unicode.Is(unicode.Zs, r) }

// isMark reports whether r is a dash, a dot or an underscore, the marks that
// may split a card number's groups.
func isMark(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '–', '—', '－', '.', '．', '_':
		return true
	}
	return false
}

// isWord reports whether r belongs to a word or identifier: an ASCII
// letter, digit or underscore.
func isWord(r rune) bool {
	return isDigit(r) || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
}

// joinedBefore reports whether the digits starting at start continue what
// comes before them: a word ("abc123…"), a dashed identifier ("hold-123…")
// or an international phone number ("+44…"). A card's name before a dash
// labels the number rather than joining it ("VISA-4111…").
func joinedBefore(u []unit, start int) bool {
	if start == 0 {
		return false
	}
	switch r := u[start-1].r; {
	case isWord(r), r == '+':
		return true
	case r == '-':
		return start >= 2 && isWord(u[start-2].r) && !cardWords[strings.ToLower(wordBefore(u, start-1))]
	}
	return false
}

// cardWords name a card, its network or its number.
var cardWords = map[string]bool{
	"card": true, "cc": true, "pan": true, "visa": true, "mastercard": true, "mc": true, "amex": true,
	"discover": true, "diners": true, "jcb": true, "unionpay": true, "maestro": true, "cb": true,
}

// wordBefore is the run of word characters that ends at end.
func wordBefore(u []unit, end int) string {
	start := end
	for start > 0 && isWord(u[start-1].r) {
		start--
	}
	var b strings.Builder
	for _, c := range u[start:end] {
		b.WriteRune(c.r)
	}
	return b.String()
}

// joinedAfter reports whether the digits ending at end run on into a word,
// directly or through a dash ("…123abc", "…123-abc"). An exponent does not
// ("4111111111111111e0", "…e+2"): the digits are a number.
func joinedAfter(u []unit, end int) bool {
	if end >= len(u) {
		return false
	}
	switch r := u[end].r; {
	case r == 'e' || r == 'E':
		return !exponent(u, end)
	case isWord(r):
		return true
	case r == '-':
		return end+1 < len(u) && isWord(u[end+1].r)
	}
	return false
}

// exponent reports whether an exponent starts at i and ends the word: "e"
// or "E", an optional sign, and digits.
func exponent(u []unit, i int) bool {
	i++
	if i < len(u) && (u[i].r == '+' || u[i].r == '-') {
		i++
	}
	digits := i
	for i < len(u) && isDigit(u[i].r) {
		i++
	}
	return i > digits && (i == len(u) || !isWord(u[i].r))
}
