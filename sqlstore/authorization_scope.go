package sqlstore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"shuyu"
	"shuyu/workday"
)

// authzCover names the authorization an operation falls under, its mode
// and how each entry was covered (R4.1: recorded on every application).
type authzCover struct {
	ID     int64
	Number string
	Mode   shuyu.AuthMode
	Scope  string
}

// authorizationCovers is the one check of the operator's authorization
// (R13.1, R4.1, NIMP.3): an application, a workspace or a product over
// entries, for a scenario (empty for a workspace: its application was
// checked with its scenario), from the day from to the day to (YYYY-MM-DD,
// inclusive) is allowed only when one authorization in force on from
// covers every entry, the scenario when its mode is 依场景, and the whole
// period. Without any authorization in force nothing is allowed.
//
// Covered means: 整体 — every entry, unless the scope lists entries or
// domains, then those; 分领域 — the entry's category or one of its
// ancestors is a listed domain, or the entry is listed; 依场景 — the entry
// is listed and the scenario names one of the listed scenarios.
func (tx *Tx) authorizationCovers(entryIDs []int64, scenario, from, to string) (*authzCover, error) {
	all, err := tx.authorizations(`WHERE a.status IN (?, ?) AND a.term_start <= ? ORDER BY a.id DESC`,
		shuyu.AuthzEffective, shuyu.AuthzEnded, from)
	if err != nil {
		return nil, err
	}
	var inForce []*shuyu.Authorization
	for _, a := range all {
		if a.InForce(from) {
			inForce = append(inForce, a)
		}
	}
	if len(inForce) == 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "运营机构在 %s 没有生效的授权运营协议，不能办理 (no operator authorization in force, R13.1)", from)
	}
	domains := map[int64][]string{}
	for _, e := range entryIDs {
		if domains[e], err = tx.entryDomains(e); err != nil {
			return nil, err
		}
	}
	var first error
	for _, a := range inForce {
		cover, err := tx.authorizationCover(a, entryIDs, domains, scenario, to)
		if err == nil {
			return cover, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

func (tx *Tx) authorizationCover(a *shuyu.Authorization, entryIDs []int64, domains map[int64][]string, scenario, to string) (*authzCover, error) {
	if to > a.LastDay() {
		return nil, shuyu.Errorf(shuyu.EINVALID, "期限不得超出运营机构的授权期限（%s 至 %s，协议 %s） (beyond the authorization's term, R13.1)",
			a.TermStart, a.LastDay(), a.Number).WithDetails([]shuyu.FieldError{{Field: "term_end", Message: "不得晚于 " + a.LastDay()}})
	}
	var how []string
	var outside []shuyu.FieldError
	for i, e := range entryIDs {
		listed := slices.Contains(a.Scope.Entries, e)
		var domain string
		for _, d := range domains[e] {
			if slices.Contains(a.Scope.Domains, d) {
				domain = d
				break
			}
		}
		why := ""
		switch {
		case a.Mode == shuyu.AuthWhole && len(a.Scope.Entries) == 0 && len(a.Scope.Domains) == 0:
			why = "整体授权"
		case listed:
			why = "列明目录"
		case domain != "" && a.Mode != shuyu.AuthScenario:
			why = "领域 " + domain
		}
		ok := why != ""
		if ok {
			how = append(how, fmt.Sprintf("目录%d：%s", e, why))
		}
		if !ok {
			name, _ := tx.entryLabel(e)
			outside = append(outside, shuyu.FieldError{Field: fmt.Sprintf("items[%d]", i),
				Message: fmt.Sprintf("目录“%s”不在授权运营协议 %s 的授权范围内", name, a.Number)})
		}
	}
	if len(outside) > 0 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "所涉目录不在运营机构的授权范围内 (outside the authorization's scope, R13.1)").WithDetails(outside)
	}
	if a.Mode == shuyu.AuthScenario && scenario != "" {
		matched := ""
		for _, s := range a.Scope.Scenarios {
			if strings.Contains(scenario, s) {
				matched = s
				break
			}
		}
		if matched == "" {
			return nil, shuyu.Errorf(shuyu.EINVALID, "应用场景不在授权的场景之内（授权场景：%s） (scenario outside the authorization, R4.1)",
				strings.Join(a.Scope.Scenarios, "、")).WithDetails([]shuyu.FieldError{{Field: "scenario", Message: "须为授权的场景之一"}})
		}
		how = append(how, "场景："+matched)
	}
	return &authzCover{ID: a.ID, Number: a.Number, Mode: a.Mode, Scope: strings.Join(how, "；")}, nil
}

// entryDomains returns the codes of the entry's category and its
// ancestors (its published revision's, else its latest revision's).
func (tx *Tx) entryDomains(entryID int64) ([]string, error) {
	var cat *int64
	err := tx.queryRow(`SELECT r.category_id FROM catalog_revisions r JOIN catalog_entries e ON e.id = r.entry_id
		WHERE r.entry_id = ? ORDER BY CASE WHEN r.id = e.published_rev_id THEN 0 ELSE 1 END, r.version DESC LIMIT 1`, entryID).Scan(&cat)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for cat != nil && len(out) < 20 {
		var code string
		var parent *int64
		if err := tx.queryRow(`SELECT code, parent_id FROM catalog_categories WHERE id = ?`, *cat).Scan(&code, &parent); err != nil {
			return nil, err
		}
		out = append(out, code)
		cat = parent
	}
	return out, nil
}

func (tx *Tx) entryLabel(entryID int64) (string, error) {
	var code string
	var name *string
	err := tx.queryRow(`SELECT e.code, r.name FROM catalog_entries e LEFT JOIN catalog_revisions r ON r.id = e.published_rev_id
		WHERE e.id = ?`, entryID).Scan(&code, &name)
	if err != nil {
		return fmt.Sprint(entryID), err
	}
	if name != nil {
		return *name + "（" + code + "）", nil
	}
	return code, nil
}

// beijingDay is the calendar day of t in Beijing.
func beijingDay(t time.Time) string { return t.In(workday.Zone).Format(time.DateOnly) }

func parseDay(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, workday.Zone)
}
