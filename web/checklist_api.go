package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// checklistRoutes: the compliance checklists (R17.1, R18.1, R20.3, R23.1).
// The operator proposes a version of a kind's items, the city authority
// approves it; the check steps themselves (the onboarding decision, the
// application check, the output review) take the filled checklist in their
// own bodies and forms, and the store grades it (sqlstore/checklist.go).
func (s *Server) checklistRoutes() {
	s.handle("GET", "/api/v1/checklists", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.ChecklistRuleset, error) {
		return s.db.Checklists(ctx, a, shuyu.ChecklistKind(q.Get("kind")))
	}))
	s.handle("POST", "/api/v1/checklists", create(s.actor, s.db.ProposeChecklist))
	s.handle("POST", "/api/v1/checklists/{id}/approve", commandOnObject(s.actor, func(ctx context.Context, a *shuyu.Actor, id int64, in checklistApproval) (*shuyu.ChecklistRuleset, error) {
		return s.db.ApproveChecklist(ctx, a, id, in.FourEyes, in.Note)
	}))
	s.handle("GET", "/api/v1/checklists/form", onQuery(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) (*sqlstore.ChecklistForm, error) {
		kind, id, err := checklistQuery(q)
		if err != nil {
			return nil, err
		}
		return s.db.ChecklistFormFor(ctx, a, kind, id)
	}))
	s.handle("GET", "/api/v1/checklists/results", onCollection(s.actor, func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]*shuyu.ChecklistResult, error) {
		kind, id, err := checklistQuery(q)
		if err != nil {
			return nil, err
		}
		return s.db.ChecklistResults(ctx, a, kind, id)
	}))

	s.page("GET /oversight/checklists", pageOpts{Nav: "nav.checklists", Group: "nav.group.supervise", Order: 62,
		Action: shuyu.ActChecklistRead, Desc: "nav.checklists.desc"}, s.uiChecklists)
	s.page("POST /oversight/checklists", pageOpts{Action: shuyu.ActChecklistPropose}, s.uiChecklistPropose)
	s.page("POST /oversight/checklists/{id}/approve", pageOpts{Action: shuyu.ActChecklistApprove}, s.uiChecklistApprove)
	s.auditLink("checklist", "/oversight/checklists#v%s", shuyu.ActChecklistRead)
}

// checklistApproval is the authority's approval: an optional wider
// four-eyes rule for output (all) and a note.
type checklistApproval struct {
	bodyMayBeEmpty
	FourEyes string `json:"four_eyes,omitempty"`
	Note     string `json:"note"`
}

func checklistQuery(q url.Values) (shuyu.ChecklistKind, int64, error) {
	kind := shuyu.ChecklistKind(q.Get("kind"))
	if !kind.Valid() {
		return "", 0, shuyu.Errorf(shuyu.EINVALID, "参数 kind 须为 onboarding、application 或 output (bad kind)")
	}
	id, err := queryInt(q, "object")
	if err == nil && id == 0 {
		err = shuyu.Errorf(shuyu.EINVALID, "缺少参数 object (object required)")
	}
	return kind, id, err
}

// checklistTemplateFuncs: checklistBlock joins a form's items, facts and
// pre-filled answers into rows for the partial "checklist-form";
// checklistShown does the same for filled results ("checklist-results").
func checklistTemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"checklistBlock": checklistBlockOf,
		"checklistShown": checklistShownOf,
	}
}

type checklistRow struct {
	Item   shuyu.ChecklistItem
	Answer shuyu.ChecklistAnswer
	Fact   *shuyu.ChecklistFact
}

// checklistBlock is the dot of the partials: the page's view and the rows.
type checklistBlock struct {
	V       *view
	Form    *sqlstore.ChecklistForm
	Rows    []checklistRow
	Results []checklistShown
}

type checklistShown struct {
	R    *shuyu.ChecklistResult
	Rows []checklistRow
}

func checklistBlockOf(v *view, f *sqlstore.ChecklistForm) checklistBlock {
	b := checklistBlock{V: v, Form: f}
	if f == nil {
		return b
	}
	for _, r := range f.Results {
		b.Results = append(b.Results, checklistShownOf(r))
	}
	if f.Ruleset == nil {
		return b
	}
	facts := map[string]*shuyu.ChecklistFact{}
	for i := range f.Facts {
		facts[f.Facts[i].Key] = &f.Facts[i]
	}
	answers := map[string]shuyu.ChecklistAnswer{}
	for _, a := range f.Answers {
		answers[a.Key] = a
	}
	for _, it := range f.Ruleset.Items {
		b.Rows = append(b.Rows, checklistRow{Item: it, Answer: answers[it.Key], Fact: facts[it.Key]})
	}
	return b
}

func checklistShownOf(r *shuyu.ChecklistResult) checklistShown {
	sh := checklistShown{R: r}
	answers := map[string]shuyu.ChecklistAnswer{}
	for _, a := range r.Answers {
		answers[a.Key] = a
	}
	for _, it := range r.Items {
		sh.Rows = append(sh.Rows, checklistRow{Item: it, Answer: answers[it.Key]})
	}
	return sh
}

// checklistFromForm reads the answers of the partial "checklist-form"
// (cl.<key> = pass|fail|na, clr.<key> = reason) in the order of the keys;
// nil when the form carried none. fail reports whether an item failed.
func checklistFromForm(f *uiForm) (answers []shuyu.ChecklistAnswer, failed bool) {
	var keys []string
	for k := range f.Values {
		if key, ok := strings.CutPrefix(k, "cl."); ok {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := shuyu.ChecklistAnswer{Key: k, Answer: f.Get("cl." + k), Reason: f.Get("clr." + k)}
		failed = failed || a.Answer == shuyu.AnswerFail
		answers = append(answers, a)
	}
	return answers, failed
}

type checklistsData struct {
	Form     *uiForm
	Kinds    []shuyu.ChecklistKind
	Versions map[shuyu.ChecklistKind][]*shuyu.ChecklistRuleset
	Drafts   map[shuyu.ChecklistKind]string // the items as lines, to start a proposal from
	Facts    map[shuyu.ChecklistKind][]string
	Areas    []shuyu.ChecklistArea
}

func (s *Server) uiChecklists(w http.ResponseWriter, r *http.Request) error {
	return s.checklistsRender(w, r, emptyForm())
}

func (s *Server) checklistsRender(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	all, err := s.db.Checklists(r.Context(), uiActor(r), "")
	if err != nil {
		return err
	}
	d := checklistsData{Form: f, Kinds: shuyu.ChecklistKinds, Versions: map[shuyu.ChecklistKind][]*shuyu.ChecklistRuleset{},
		Drafts: map[shuyu.ChecklistKind]string{}, Facts: map[shuyu.ChecklistKind][]string{}, Areas: shuyu.ChecklistAreas}
	for _, rs := range all {
		d.Versions[rs.Kind] = append(d.Versions[rs.Kind], rs)
	}
	for _, k := range shuyu.ChecklistKinds {
		items := shuyu.DefaultChecklist(k)
		if vs := d.Versions[k]; len(vs) > 0 {
			items = vs[0].Items
		}
		d.Drafts[k] = checklistLines(items)
		for fact := range shuyu.ChecklistFacts[k] {
			d.Facts[k] = append(d.Facts[k], fact)
		}
		sort.Strings(d.Facts[k])
	}
	return s.renderStatus(w, r, f.Status, "oversight/checklists.html", d)
}

// checklistLines writes items one per line: area | key | text | fact.
func checklistLines(items []shuyu.ChecklistItem) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(string(it.Area) + " | " + it.Key + " | " + it.Text)
		if it.Fact != "" {
			b.WriteString(" | " + it.Fact)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// parseChecklistLines reads checklistLines back; a malformed line is a 400
// naming it.
func parseChecklistLines(text string) ([]shuyu.ChecklistItem, error) {
	var items []shuyu.ChecklistItem
	for n, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) < 3 || len(parts) > 4 {
			return nil, shuyu.Errorf(shuyu.EINVALID, "第 %d 行须为“领域 | 编号 | 核查内容 | 预填依据（可省略）” (line %d malformed)", n+1, n+1).
				WithDetails([]shuyu.FieldError{{Field: "items", Message: "格式有误"}})
		}
		it := shuyu.ChecklistItem{Area: shuyu.ChecklistArea(strings.TrimSpace(parts[0])), Key: strings.TrimSpace(parts[1]), Text: strings.TrimSpace(parts[2])}
		if len(parts) == 4 {
			it.Fact = strings.TrimSpace(parts[3])
		}
		items = append(items, it)
	}
	return items, nil
}

func (s *Server) uiChecklistPropose(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	f, err := newForm(r)
	if err != nil {
		return err
	}
	var rs *shuyu.ChecklistRuleset
	items, err := parseChecklistLines(f.Get("items"))
	if err == nil {
		rs, err = s.db.ProposeChecklist(r.Context(), uiActor(r), sqlstore.ChecklistProposal{Kind: shuyu.ChecklistKind(f.Get("kind")),
			Items: items, FourEyes: f.Get("four_eyes"), Note: f.Get("note")})
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.checklistsRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/oversight/checklists", "ok", Tf(lang, "checklist.proposed", rs.Version))
}

func (s *Server) uiChecklistApprove(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	rs, err := s.db.ApproveChecklist(r.Context(), uiActor(r), id, f.Get("four_eyes"), f.Get("note"))
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.checklistsRender(w, r, f)
	}
	return s.redirectFlash(w, r, "/oversight/checklists", "ok", Tf(lang, "checklist.approved", rs.Version))
}
