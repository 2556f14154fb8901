package resource

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Identifier canonicalizes a GitHub owner, GitHub repository, proxy domain
// or similar name compared by equality: lowercased with strings.ToLower and
// otherwise unchanged (no trimming: a value with stray spaces is a different
// value, not a typo to repair). Empty strings, invalid UTF-8, control
// characters and Unicode format characters (zero-width and bidi controls,
// which make two different strings look identical in an approval prompt)
// are errors.
func Identifier(s string) (string, error) {
	if err := checkIdent(s); err != nil {
		return "", fmt.Errorf("resource: identifier %s: %w", quote(s), err)
	}
	return strings.ToLower(s), nil
}

// Email lowercases an address and requires exactly one "@" with non-empty
// sides; it also rejects whitespace, which no address used for matching
// should contain.
func Email(s string) (string, error) {
	if err := checkEmail(s); err != nil {
		return "", fmt.Errorf("resource: email %s: %w", quote(s), err)
	}
	return strings.ToLower(s), nil
}

func checkEmail(s string) error {
	if err := checkIdent(s); err != nil {
		return err
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return errors.New("need exactly one '@' with non-empty sides")
	}
	for _, r := range s {
		if unicode.IsSpace(r) {
			return errors.New("contains whitespace")
		}
	}
	return nil
}

func checkIdent(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("control or format character %U", r)
		}
	}
	return nil
}
