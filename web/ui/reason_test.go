package ui_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kigen"
	"kigen/web/ui"
)

// keyArgs are, by package directory and function name, the arguments of a
// call that are catalog keys of a refusal (kigen.Keyf and the wrappers
// around it); variants are the suffixes a wrapper adds to its key.
var keyArgs = map[string]map[string][]int{
	"*": {"Keyf": {1}, "FieldKeyf": {1}, "Keyed": {0}},
	".": {"fail": {0}},
	"roster": {"invalidf": {0}, "refused": {1}, "fail": {1}, "add": {0}, "syntaxErrorf": {1},
		"keyColumn": {2, 3}},
}

var keyVariants = map[string][]string{"refused": {"", ".q"}}

// keyFuncs are, by package directory, the functions that return keys.
var keyFuncs = map[string]map[string]bool{"roster": {"syntaxKey": true}}

// usedReasonKeys walks the module's Go sources (tests and testdata left
// out) and returns every refusal key its code can give, by where it is
// used. A key that is neither a literal nor a wrapper's parameter named
// key (or keyQ, keyN), nor returned by one of keyFuncs, fails t:
// the test could not see it.
func usedReasonKeys(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	keys := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "node_modules", ".git", "tools":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if keyFuncs[rel][n.Name.Name] && n.Body != nil {
					ast.Inspect(n.Body, func(m ast.Node) bool {
						if r, ok := m.(*ast.ReturnStmt); ok {
							for _, e := range r.Results {
								if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
									k, _ := strconv.Unquote(lit.Value)
									keys[k] = fset.Position(lit.Pos()).String()
								}
							}
						}
						return true
					})
				}
			case *ast.CallExpr:
				var name string
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				idx, ok := keyArgs["*"][name]
				if !ok {
					idx, ok = keyArgs[rel][name]
				}
				if !ok {
					return true
				}
				for _, i := range idx {
					if i >= len(n.Args) {
						continue
					}
					pos := fset.Position(n.Args[i].Pos()).String()
					switch a := n.Args[i].(type) {
					case *ast.BasicLit:
						k, _ := strconv.Unquote(a.Value)
						for _, v := range append([]string{""}, keyVariants[name]...) {
							keys[k+v] = pos
						}
					case *ast.Ident:
						if a.Name != "key" && a.Name != "keyQ" && a.Name != "keyN" {
							t.Errorf("%s: the key of %s is %s, neither a literal nor a parameter named key", pos, name, a.Name)
						}
					case *ast.BinaryExpr:
						if x, ok := a.X.(*ast.Ident); !ok || x.Name != "key" {
							t.Errorf("%s: the key of %s is an expression the test cannot read", pos, name)
						}
					case *ast.CallExpr:
						if fn, ok := a.Fun.(*ast.Ident); !ok || !keyFuncs[rel][fn.Name] {
							t.Errorf("%s: the key of %s is a call the test cannot read", pos, name)
						}
					default:
						t.Errorf("%s: the key of %s is an expression the test cannot read", pos, name)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	delete(keys, "")
	return keys
}

// TestCatalog_Reasons: every refusal key the code gives (kigen.Keyf and
// its wrappers, found in the sources) has its text in both catalogs, no
// catalog keeps a refusal key the code no longer gives, and a text takes
// its arguments with %s and %[n]s only, none beyond the English text's
// last (the English text takes every argument; a translation may leave
// some out, or take one the English text skips).
func TestCatalog_Reasons(t *testing.T) {
	t.Parallel()
	used := usedReasonKeys(t)
	if len(used) < 80 {
		t.Fatalf("found only %d refusal keys in the code: is the walk broken?", len(used))
	}
	for k, pos := range used {
		for _, l := range ui.Langs {
			if _, ok := ui.Keys(l)[ui.ReasonPrefix+k]; !ok {
				t.Errorf("%s: refusal key %q is not in the %s catalog", pos, ui.ReasonPrefix+k, l)
			}
		}
	}
	for _, l := range ui.Langs {
		for k, text := range ui.Keys(l) {
			if !strings.HasPrefix(k, ui.ReasonPrefix) {
				continue
			}
			if _, ok := used[strings.TrimPrefix(k, ui.ReasonPrefix)]; !ok {
				t.Errorf("the %s catalog has %q, which the code never gives", l, k)
			}
			if strings.Contains(strings.NewReplacer("%%", "", "%s", "", "%[", "").Replace(text), "%") {
				t.Errorf("%s %q: a refusal's text takes its arguments with %%s or %%[n]s only: %q", l, k, text)
			}
			last := 0
			if en := ui.ReasonVerbs(ui.Keys(ui.English)[k]); len(en) > 0 {
				last = slices.Max(en)
			}
			for _, n := range ui.ReasonVerbs(text) {
				if n > last {
					t.Errorf("%s %q takes argument %d, beyond the English text's last (%d)", l, k, n, last)
				}
			}
		}
	}
}

// TestReasons_ParsersKeyed: in the packages that read what staff type
// and import (the root package's parsers and checks, roster), every
// refusal (kigen.Errorf with EINVALID or ECONFLICT, kigen.FieldErrorf) has
// a key, so that the console can word it in the page's language: a new
// one made without a key fails here.
func TestReasons_ParsersKeyed(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	for _, dir := range []string{".", "roster"} {
		names, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil || len(names) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			keyed := map[ast.Expr]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Keyed" {
					keyed[sel.X] = true
				}
				var callee string
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					callee = fn.Name
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "kigen" {
						callee = fn.Sel.Name
					}
				}
				refusal := callee == "FieldErrorf"
				if callee == "Errorf" && len(call.Args) > 0 {
					code := ""
					switch a := call.Args[0].(type) {
					case *ast.Ident:
						code = a.Name
					case *ast.SelectorExpr:
						code = a.Sel.Name
					}
					refusal = code == "EINVALID" || code == "ECONFLICT"
				}
				if refusal && !keyed[call] {
					t.Errorf("%s: a refusal without a catalog key (use kigen.Keyf or FieldKeyf)", fset.Position(call.Pos()))
				}
				return true
			})
		}
	}
}

func TestFill(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ text, want string }{
		{"%s is not a date", `"2027-02-30" is not a date`},
		{"%[1]sは日付ではありません", `"2027-02-30"は日付ではありません`},
		{"%[2]s then %s", "b then c"},
		{"%[3]s, %[1]s", "c, \"2027-02-30\""},
		{"%[9]s|", "|"},
		{"100%% %d", "100% %d"},
	} {
		if got := ui.Fill(tt.text, []string{`"2027-02-30"`, "b", "c"}); got != tt.want {
			t.Errorf("Fill(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestErrorText: a keyed refusal reads in the page's language, its
// English message without a key or without a text in the catalog, and an
// internal error never shows its details.
func TestErrorText(t *testing.T) {
	t.Parallel()
	_, err := kigen.ParseDate("2027-02-30")
	if got := ui.ErrorText(ui.Japanese, err); got != "「2027-02-30」は存在しない日付です" {
		t.Errorf("ja: %q", got)
	}
	if got, want := ui.ErrorText(ui.English, err), `"2027-02-30" is not a date`; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	// A quoted argument reads in Japanese brackets, unless its quoting
	// shows an escape.
	for ref, want := range map[string]string{"R-1": "住民「R-1」はいません", "R\u200b1": `住民"R\u200b1"はいません`} {
		e := kigen.Keyf(kigen.ENOTFOUND, "resident.not_found.q", "no resident %s in %s %s", strconv.Quote(ref), "012033", "小樽市")
		if got := ui.ErrorText(ui.Japanese, e); !strings.HasSuffix(got, want) {
			t.Errorf("ja, reference %q: %q, want …%q", ref, got, want)
		}
	}
	if got := ui.ErrorText(ui.Japanese, kigen.Errorf(kigen.EINVALID, "plain")); got != "plain" {
		t.Errorf("without a key: %q", got)
	}
	if got := ui.ErrorText(ui.Japanese, kigen.Keyf(kigen.EINVALID, "no.such.key", "words")); got != "words" {
		t.Errorf("a key the catalog lacks: %q", got)
	}
	if got := ui.ErrorText(ui.Japanese, strconv.ErrRange); got != "internal error" {
		t.Errorf("an internal error: %q", got)
	}
}
