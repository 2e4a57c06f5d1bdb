package web

import (
	"context"
	"strings"

	"shuyu/sqlstore"
)

// People are shown by name and organization, never by account name alone
// (issue #13): templates write {{$.Person .Username}} wherever a record
// keeps only the username (signatures, lineage, running queries, reviews),
// and Go code uses s.db.People for user IDs.

// personLookup memoizes PersonByUsername for one page.
func (s *Server) personLookup(ctx context.Context) func(string) (sqlstore.Person, bool) {
	memo := map[string]*sqlstore.Person{}
	return func(username string) (sqlstore.Person, bool) {
		if p, ok := memo[username]; ok {
			if p == nil {
				return sqlstore.Person{}, false
			}
			return *p, true
		}
		p, ok, err := s.db.PersonByUsername(ctx, username)
		if err != nil || !ok {
			memo[username] = nil
			return sqlstore.Person{}, false
		}
		memo[username] = &p
		return p, true
	}
}

// Person names the account username: "郑浩（云图数据）· 宁夏云图数据科技有限公司";
// an unknown name (an account since removed, "system") as it is.
func (v *view) Person(username string) string {
	if username == "" {
		return "—"
	}
	if username == "system" {
		return T(v.Lang, "audit.who.system")
	}
	if v.person == nil {
		return username
	}
	p, ok := v.person(username)
	if !ok {
		return username
	}
	if p.OrgName == "" {
		return p.Name
	}
	return p.Name + " · " + p.OrgName
}

// PersonName is Person without the organization (for rows that show the
// organization at the time in a column of their own).
func (v *view) PersonName(username string) string {
	if v.person == nil || username == "" || username == "system" {
		return v.Person(username)
	}
	if p, ok := v.person(username); ok {
		return p.Name
	}
	return username
}

// Reason renders a disclosure-engine reason (package sandbox, workspace)
// in the page's language. The engine writes Chinese for people and a
// stable code for machines; English pages translate by code
// (sandbox.reason.<code> in web/i18n/reasons.json), falling back to the
// message's own English gloss, then to the Chinese.
func (v *view) Reason(code, message string) string {
	return reasonText(v.Lang, code, message)
}

func reasonText(lang, code, message string) string {
	if lang != langEN {
		if message == "" {
			return TOr(lang, "sandbox.reason."+code, code)
		}
		return uiMessage(lang, message)
	}
	gloss := uiMessage(langEN, message)
	hasGloss := gloss != strings.TrimSpace(message)
	// "execution" also carries refusals of other kinds; their gloss says more.
	if code == "execution" && hasGloss {
		return gloss
	}
	if hasKey("sandbox.reason." + code) {
		return T(langEN, "sandbox.reason."+code)
	}
	return gloss
}
