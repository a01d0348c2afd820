package codegen

import (
	"github.com/dave/jennifer/jen"
	"go/token"
	"strings"
	"unicode"
)

// namer turns IR names ("fc1.weight", "d.loss") into Go identifiers that are unique
// within one scope, so generated code reads in the model's own words.
type namer struct {
	used map[string]bool
}

func newNamer(reserved ...string) *namer {
	n := &namer{used: map[string]bool{}}
	for _, r := range reserved {
		n.used[r] = true
	}
	return n
}

// name returns a fresh identifier for s, exported (UpperCamel) or not (lowerCamel).
func (n *namer) name(s string, exported bool) string {
	base := camel(s, exported)
	id := base
	for i := 2; n.used[id] || token.Lookup(id).IsKeyword() || predeclared[id]; i++ {
		id = base + itoa(i)
	}
	n.used[id] = true
	return id
}

// camel splits s at every character that cannot be in an identifier and joins the
// words in camel case; a leading digit gets an "x" before it.
func camel(s string, exported bool) string {
	words := strings.FieldsFunc(s, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	})
	var b strings.Builder
	for i, w := range words {
		if i == 0 && !exported {
			b.WriteString(strings.ToLower(w[:1]) + w[1:])
		} else {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	id := b.String()
	if id == "" {
		id = "v"
	}
	if unicode.IsDigit(rune(id[0])) {
		if exported {
			id = "X" + id
		} else {
			id = "x" + id
		}
	}
	return id
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// predeclared are Go's predeclared identifiers, which generated code must not shadow.
var predeclared = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`any append bool byte cap clear close complex complex128 complex64
		copy delete error false float32 float64 imag int int16 int32 int64 int8 iota len make max min
		new nil panic print println real recover rune string true uint uint16 uint32 uint64 uint8
		uintptr comparable`) {
		predeclared[s] = true
	}
}

// lineComments turns text into "// " comment lines, the form gofmt and godoc expect
// for doc comments (jennifer writes multi-line comments as /* */ otherwise).
func lineComments(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = "//"
		} else if !strings.HasPrefix(l, "//") {
			lines[i] = "// " + l
		}
	}
	return strings.Join(lines, "\n")
}

// comment adds a doc comment to f.
func comment(f *jen.File, text string) { f.Comment(lineComments(text)) }

// cmt is a comment statement in line form.
func cmt(text string) *jen.Statement { return jen.Comment(lineComments(text)) }
