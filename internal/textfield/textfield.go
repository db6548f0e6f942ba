// Package textfield trims what people type into names, reasons and notes.
// It imports nothing of staygraph's, so any package can.
package textfield

import (
	"strings"
	"unicode"
)

// Trim removes from both ends of s what shows as nothing: white space,
// format characters (zero-width space and joiners, soft hyphen, byte order
// mark, ...) and the fillers that render blank (Hangul fillers, the braille
// blank). A name of only those is empty once trimmed, as a blank one is.
func Trim(s string) string {
	return strings.TrimFunc(s, invisible)
}

func invisible(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800':
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}
