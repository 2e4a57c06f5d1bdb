package shuyu

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"testing"
)

// Every AuditAction constant declared in audit_actions.go is in
// AuditActions, once, and is written "<object>.<verb>".
func TestAuditActions_ConstantsListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "audit_actions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[AuditAction]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "AuditAction" {
				continue
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s: not a string literal", name.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				if prev, dup := declared[AuditAction(v)]; dup {
					t.Errorf("%s and %s are both %q", prev, name.Name, v)
				}
				declared[AuditAction(v)] = name.Name
			}
		}
	}
	if len(declared) < 50 {
		t.Fatalf("found %d AuditAction constants: the scan is broken", len(declared))
	}
	shape := regexp.MustCompile(`^[a-z][a-z_]*\.[a-z][a-z_]*$`)
	seen := map[AuditAction]bool{}
	for _, a := range AuditActions() {
		if seen[a] {
			t.Errorf("%s listed twice", a)
		}
		seen[a] = true
		if declared[a] == "" {
			t.Errorf("%s listed but not declared as a constant", a)
		}
		if !shape.MatchString(string(a)) {
			t.Errorf("%s is not <object>.<verb>", a)
		}
	}
	for a, name := range declared {
		if !seen[a] || !a.Known() {
			t.Errorf("%s (%s) is not listed in auditActions", name, a)
		}
	}
	if AuditAction("catalog.nonesuch").Known() {
		t.Error("an unlisted action is Known")
	}
}

// The state-machine events that the store records under "<object>.<event>"
// are all listed: agreements, registrations, reviews and workspaces audit
// their events; the catalog flow audits its steps.
func TestAuditActions_MachineEventsListed(t *testing.T) {
	for object, m := range map[string]Machine{"agreement": AgreementMachine, "registration": RegistrationMachine,
		"review": ReviewMachine, "workspace": WorkspaceMachine} {
		for _, events := range m.Table {
			for event := range events {
				if object == "review" && event == "close" {
					continue // closing the other reviews after a rejection is recorded on the application
				}
				if a := AuditAction(object + "." + event); !a.Known() {
					t.Errorf("%s event %q: action %s not listed", m.Name, event, a)
				}
			}
		}
	}
	for _, tr := range CatalogFlow {
		if a := AuditAction("catalog." + string(tr.Step)); !a.Known() {
			t.Errorf("catalog step %q: action %s not listed", tr.Step, a)
		}
	}
}
