package sqlstore

import (
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"shuyu"
)

// Every audit event the store writes names one of shuyu.AuditActions: each
// Change{Action: …} in this package is a shuyu.Audit… constant, a variable
// or table lookup holding one, or a string literal that is listed, never a
// string put together at run time. (Change.Action has type
// shuyu.AuditAction, so only untyped literals could slip past the compiler.)
func TestAudit_ActionsListed(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	changes := 0
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if id, isID := typeIdent(cl); !ok || !isID || id != "Change" {
				return true
			}
			for _, e := range cl.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "Action" {
					continue
				}
				changes++
				pos := fset.Position(kv.Value.Pos())
				switch v := kv.Value.(type) {
				case *ast.SelectorExpr:
					if x, ok := v.X.(*ast.Ident); !ok || x.Name != "shuyu" || !strings.HasPrefix(v.Sel.Name, "Audit") {
						t.Errorf("%s: action %s is not a shuyu.Audit… constant", pos, exprText(fset, v))
					}
				case *ast.BasicLit:
					s, _ := strconv.Unquote(v.Value)
					if !shuyu.AuditAction(s).Known() {
						t.Errorf("%s: audit action %q is not listed: add a constant to audit_actions.go (and its entry in "+
							"auditActions) and the label audit.action.%s to web/i18n", pos, s, s)
					}
				case *ast.Ident, *ast.IndexExpr:
					// a variable or a table of constants (checked below)
				default:
					t.Errorf("%s: audit action %s is built at run time; use a shuyu.Audit… constant", pos, exprText(fset, v))
				}
			}
			return true
		})
	}
	if changes < 50 {
		t.Fatalf("found %d Change literals: the scan is broken", changes)
	}
}

// The tables that turn a flow's step or a machine's event into an audit
// action cover every step and event (a missing one would be refused by
// Tx.audit as an empty action).
func TestAudit_FlowTablesComplete(t *testing.T) {
	t.Parallel()
	for _, tr := range shuyu.CatalogFlow {
		if a := catalogStepActions[tr.Step]; a != shuyu.AuditAction("catalog."+string(tr.Step)) {
			t.Errorf("catalog step %s records %q", tr.Step, a)
		}
	}
	for _, events := range shuyu.RegistrationMachine.Table {
		for ev := range events {
			if a := registrationEventActions[ev]; a != shuyu.AuditAction("registration."+ev) {
				t.Errorf("registration event %s records %q", ev, a)
			}
		}
	}
	for step, a := range catalogStepActions {
		if !a.Known() {
			t.Errorf("catalog step %s: %s not listed", step, a)
		}
	}
	for ev, a := range registrationEventActions {
		if !a.Known() {
			t.Errorf("registration event %s: %s not listed", ev, a)
		}
	}
}

func typeIdent(cl *ast.CompositeLit) (string, bool) {
	if cl == nil {
		return "", false
	}
	id, ok := cl.Type.(*ast.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

func exprText(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	printer.Fprint(&b, fset, e)
	return b.String()
}
