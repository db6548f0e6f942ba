// Package textfield trims what people type into names, reasons and notes.
// It imports nothing of staygraph's, so any package can.
package textfield

import (
	"strings"
	"unicode"
)

// Trim removes from both ends of s what shows as nothing and means nothing
// there: white space, zero-width spaces and joiners, the word joiner and
// invisible operators, the soft hyphen, the byte order mark, and the
// fillers that render blank (Hangul fillers, the braille blank, Khmer
// inherent vowels). A name of only those is empty once trimmed, as a blank
// one is. Other format characters are kept: the tags that end a flag such
// as Scotland's, the marks that set the direction of right-to-left text.
func Trim(s string) string {
	return strings.TrimFunc(s, invisible)
}

func invisible(r rune) bool {
	switch r {
	case '\u00AD', '\u115F', '\u1160', '\u17B4', '\u17B5', '\u180E',
		'\u200B', '\u200C', '\u200D', '\u2060', '\u2061', '\u2062', '\u2063', '\u2064',
		'\u2800', '\u3164', '\uFEFF', '\uFFA0':
		return true
	}
	return unicode.IsSpace(r)
}
