package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoMutablePackageState fails when code in internal/ writes a
// package-level variable after start-up: its own (outside init) or another
// package's (the hooks server.New used to set). State a request needs lives
// in the server's values (web.Site, org.Store, …), so two servers in one
// process never share it. Package-level constant tables, compiled patterns,
// parsed templates and sentinel errors stay: nothing writes them.
func TestNoMutablePackageState(t *testing.T) {
	t.Parallel()
	// storetest's per-process cache of template databases is test plumbing,
	// guarded by its mutex.
	exempt := map[string]bool{filepath.Join("..", "store", "storetest"): true}
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{}
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || exempt[filepath.Dir(p)] {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		pkgs[filepath.Dir(p)] = append(pkgs[filepath.Dir(p)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, files := range pkgs {
		globals := map[string]bool{}
		specs := map[*ast.ValueSpec]bool{} // the package-level declarations
		for _, f := range files {
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
					for _, sp := range g.Specs {
						specs[sp.(*ast.ValueSpec)] = true
						for _, n := range sp.(*ast.ValueSpec).Names {
							globals[n.Name] = true
						}
					}
				}
			}
		}
		for _, f := range files {
			imports := map[string]bool{}
			for _, im := range f.Imports {
				name := strings.Trim(im.Path.Value, `"`)
				name = name[strings.LastIndex(name, "/")+1:]
				if im.Name != nil {
					name = im.Name.Name
				}
				imports[name] = true
			}
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil || (fn.Recv == nil && fn.Name.Name == "init") {
					continue
				}
				checked++
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					var targets []ast.Expr
					switch s := n.(type) {
					case *ast.AssignStmt:
						if s.Tok != token.DEFINE {
							targets = s.Lhs
						}
					case *ast.IncDecStmt:
						targets = []ast.Expr{s.X}
					}
					for _, e := range targets {
						if name, ok := packageLevel(e, globals, specs, imports); ok {
							t.Errorf("%s: %s writes package-level %s", fset.Position(e.Pos()), fn.Name.Name, name)
						}
					}
					return true
				})
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d functions checked: the walk missed internal/", checked)
	}
}

// packageLevel reports whether an assignment target is a package-level
// variable: one of the package's own (an identifier the file does not
// declare locally) or another package's (pkg.Name).
func packageLevel(e ast.Expr, globals map[string]bool, specs map[*ast.ValueSpec]bool, imports map[string]bool) (string, bool) {
	for {
		switch x := e.(type) {
		case *ast.IndexExpr:
			e = x.X
			continue
		case *ast.ParenExpr:
			e = x.X
			continue
		case *ast.StarExpr:
			e = x.X
			continue
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Obj == nil && imports[id.Name] {
				return id.Name + "." + x.Sel.Name, true
			}
			e = x.X
			continue
		case *ast.Ident:
			if x.Name == "_" || !globals[x.Name] {
				return "", false
			}
			// The parser resolves names declared in the same file; a name it
			// left unresolved is declared in another file of the package.
			if x.Obj != nil {
				vs, ok := x.Obj.Decl.(*ast.ValueSpec)
				return x.Name, ok && specs[vs]
			}
			return x.Name, true
		default:
			return "", false
		}
	}
}
