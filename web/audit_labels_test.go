package web

import (
	"strings"
	"testing"
	"unicode"

	"shuyu"
)

// The audit page labels every action the platform records
// (shuyu.AuditActions) in Chinese and English, and labels nothing else: a
// label for an action no code writes is a typo or a leftover.
func TestAuditActions_Labelled(t *testing.T) {
	t.Parallel()
	cat := i18nOnce()
	listed := map[string]bool{}
	for _, a := range shuyu.AuditActions() {
		listed[string(a)] = true
		e, ok := cat.msgs["audit.action."+string(a)]
		switch {
		case !ok:
			t.Errorf("audit action %s has no label: add \"audit.action.%s\" with zh and en to its capability's web/i18n file", a, a)
		case !strings.ContainsFunc(e.ZH, func(r rune) bool { return unicode.Is(unicode.Han, r) }):
			t.Errorf("audit action %s: Chinese label %q has no Chinese", a, e.ZH)
		case strings.TrimSpace(e.EN) == "":
			t.Errorf("audit action %s: no English label", a)
		}
	}
	for k := range cat.msgs {
		if a, ok := strings.CutPrefix(k, "audit.action."); ok && !listed[a] {
			t.Errorf("label %s (%s) names no action in shuyu.AuditActions", k, cat.from[k])
		}
	}
}
