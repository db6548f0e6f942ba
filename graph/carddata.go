package graph

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/staygraph/staygraph/internal/cardnumber"
)

// CodeCardDataRefused: a request carried what looks like a payment card
// number. staygraph takes payment providers' tokens, never card data.
const CodeCardDataRefused = "CARD_DATA_REFUSED"

// cardDataMessage is the message of CARD_DATA_REFUSED. It never repeats the
// value.
const cardDataMessage = "card numbers are not accepted: tokenize the card with the payment provider " +
	"and send its token (PaymentInput.token) instead"

// cardDataGuard refuses requests holding a card number (see package
// cardnumber) in any string of their variables or in the operation's text
// (its literals, or the text as a whole), before the operation is even
// parsed, so that no parse or validation error can echo it ("Argument
// \"first\" has invalid value ..."); and in any inline argument value of
// the parsed operation, before it runs. The error names where the number
// was, never the number; nothing logs it. ErrorPresenter redacts card
// numbers from every message besides.
type cardDataGuard struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = cardDataGuard{}

// ExtensionName names the extension in gqlgen's stats.
func (cardDataGuard) ExtensionName() string { return "CardDataGuard" }

// Validate accepts every schema.
func (cardDataGuard) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses variables and operation texts holding a
// card number.
func (cardDataGuard) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	if path, found := cardInValue(params.Variables, []any{"variables"}); found {
		return cardDataRefused(path)
	}
	if cardInQuery(params.Query) {
		return cardDataRefused([]any{"query"})
	}
	return nil
}

// cardInQuery reports whether the text of an operation holds a card number,
// before it is parsed: in one of its string, block string or number
// literals (escapes decoded; see cardInNumber), or in the text as a whole
// (a number written unquoted in groups, which lex as several numbers, or in
// a comment).
func cardInQuery(query string) bool {
	if query == "" {
		return false
	}
	lex := lexer.New(&ast.Source{Input: query})
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			break // a text that does not lex fails to parse, with the whole-text check below
		}
		switch tok.Kind {
		case lexer.String, lexer.BlockString:
			if cardnumber.Contains(tok.Value) {
				return true
			}
		case lexer.Int, lexer.Float:
			if cardInNumber(tok.Value) {
				return true
			}
		}
	}
	return cardnumber.Contains(query)
}

// cardInNumber reports whether a number, an Int or Float literal or a JSON
// number, holds a card number in its digits before the exponent
// ("4111111111111111e0", "-4111111111111111.5E3") or in its exponent
// ("1e4111111111111111"). In text a run of digits with letters after it
// is a word; in a number the letter is the exponent's.
func cardInNumber(raw string) bool {
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == 'e' || r == 'E' }) {
		if cardnumber.Contains(strings.TrimLeft(part, "+-")) {
			return true
		}
	}
	return false
}

// MutateOperationContext refuses inline argument values (and variable
// defaults) holding a card number.
func (cardDataGuard) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Doc == nil {
		return nil
	}
	for _, op := range opCtx.Doc.Operations {
		for _, v := range op.VariableDefinitions {
			if path, found := cardInAST(v.DefaultValue, []any{"$" + v.Variable}); found {
				return cardDataRefused(path)
			}
		}
		if path, found := cardInDirectives(op.Directives, nil); found {
			return cardDataRefused(path)
		}
		if path, found := cardInSelections(op.SelectionSet); found {
			return cardDataRefused(path)
		}
	}
	for _, f := range opCtx.Doc.Fragments {
		if path, found := cardInSelections(f.SelectionSet); found {
			return cardDataRefused(path)
		}
	}
	return nil
}

func cardDataRefused(path []any) *gqlerror.Error {
	err := refuse(CodeCardDataRefused, "%s", cardDataMessage)
	err.Extensions["field"] = path
	return err
}

// cardInValue looks for a card number in a decoded JSON value: strings,
// numbers and object keys. It returns where it found one.
func cardInValue(v any, path []any) ([]any, bool) {
	switch v := v.(type) {
	case string:
		return path, cardnumber.Contains(v)
	case json.Number:
		return path, cardInNumber(v.String())
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // report the same place every time
		for _, k := range keys {
			if cardnumber.Contains(k) {
				return path, true
			}
			if p, found := cardInValue(v[k], append(path[:len(path):len(path)], k)); found {
				return p, true
			}
		}
	case []any:
		for i, e := range v {
			if p, found := cardInValue(e, append(path[:len(path):len(path)], i)); found {
				return p, true
			}
		}
	}
	return nil, false
}

// cardInAST looks for a card number in an argument value written in the
// operation.
func cardInAST(v *ast.Value, path []any) ([]any, bool) {
	if v == nil {
		return nil, false
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return path, cardnumber.Contains(v.Raw)
	case ast.IntValue, ast.FloatValue:
		return path, cardInNumber(v.Raw)
	case ast.ListValue:
		for i, c := range v.Children {
			if p, found := cardInAST(c.Value, append(path[:len(path):len(path)], i)); found {
				return p, true
			}
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if p, found := cardInAST(c.Value, append(path[:len(path):len(path)], c.Name)); found {
				return p, true
			}
		}
	}
	return nil, false
}

func cardInArguments(args ast.ArgumentList, path []any) ([]any, bool) {
	for _, a := range args {
		if p, found := cardInAST(a.Value, append(path[:len(path):len(path)], a.Name)); found {
			return p, true
		}
	}
	return nil, false
}

func cardInDirectives(dirs ast.DirectiveList, path []any) ([]any, bool) {
	for _, d := range dirs {
		if p, found := cardInArguments(d.Arguments, append(path[:len(path):len(path)], "@"+d.Name)); found {
			return p, true
		}
	}
	return nil, false
}

func cardInSelections(set ast.SelectionSet) ([]any, bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if p, found := cardInArguments(sel.Arguments, []any{sel.Alias}); found {
				return p, true
			}
			if p, found := cardInDirectives(sel.Directives, []any{sel.Alias}); found {
				return p, true
			}
			if p, found := cardInSelections(sel.SelectionSet); found {
				return p, true
			}
		case *ast.InlineFragment:
			if p, found := cardInDirectives(sel.Directives, nil); found {
				return p, true
			}
			if p, found := cardInSelections(sel.SelectionSet); found {
				return p, true
			}
		case *ast.FragmentSpread:
			if p, found := cardInDirectives(sel.Directives, nil); found {
				return p, true
			}
		}
	}
	return nil, false
}
