package web

import (
	"context"
	"fmt"
	"strings"
	"time"

	"shuyu"
	"shuyu/sqlstore"
)

// Audit events as sentences in plain words (issue #13, R27.1, R30.1): who
// (name, organization, role), did what (the action's label
// audit.action.<action>), to which object (its kind's label
// audit.kind.<object_type>, its number, a link to its page), when and why.
// Nothing is written per action: a capability that records a new action or
// object kind adds the labels to its i18n file and, when the object has a
// page, registers it with s.auditLink from its route hook (web/UI.md).

// auditRow is one event ready to show or export.
type auditRow struct {
	Seq       int64
	Time      time.Time
	Who       string // display name ("系统" for the platform)
	Org       string // the organization the person acted for
	Role      string // the role's label
	Context   string // "（org，role）": organization and role in the reader's language
	Action    string // the action's label
	Object    string // kind label and number
	ObjectURL string // its page, when the reader may open that kind of page
	Reason    string
	Sentence  string
	Event     *shuyu.Event
}

// auditLinkTo is where an object kind's page is and what opening it needs.
type auditLinkTo struct {
	path   string // with one %s for the object id
	action shuyu.Action
}

// auditLink makes audit sentences about objects of kind objectType link to
// path (a pattern with one %s for the id) for readers allowed action ("":
// a public page). Call
// it from a route hook; a kind registered twice panics.
func (s *Server) auditLink(objectType, path string, action shuyu.Action) {
	if s.auditLinks == nil {
		s.auditLinks = map[string]auditLinkTo{}
	}
	if _, dup := s.auditLinks[objectType]; dup {
		panic("web: audit link registered twice: " + objectType)
	}
	if strings.Count(path, "%s") != 1 {
		panic("web: audit link needs one %s: " + path)
	}
	s.auditLinks[objectType] = auditLinkTo{path: path, action: action}
}

// auditCoreLinks registers the object pages the platform had before the
// list component (capabilities register their own).
func (s *Server) auditCoreLinks() {
	s.auditLink("application", "/applications/%s", shuyu.ActApplicationRead)
	s.auditLink("agreement", "/agreements/%s", shuyu.ActAgreementRead)
	s.auditLink("catalog_entry", "/catalog/%s", shuyu.ActCatalogRead)
	s.auditLink("catalog_demand", "/demands/%s", shuyu.ActCatalogRead)
	s.auditLink("domain_issue", "/domain/issues/%s", shuyu.ActIssueRead)
	s.auditLink("domain_job", "/domain/jobs/%s", shuyu.ActDomainRead)
	s.auditLink("product", "/output/products/%s", shuyu.ActProductRead)
	s.auditLink("portal_post", "/posts/%s", "") // public
	s.auditLink("registration", "/review/registrations/%s", shuyu.ActRegistrationRead)
	s.auditLink("document", "/review/documents/%s", shuyu.ActDocumentRead)
	s.auditLink("merchant_report", "/review/reports/%s", shuyu.ActMerchantReportRead)
	s.auditLink("user", "/admin/users/%s", shuyu.ActUserUpdate)
	s.auditLink("workspace", "/workspaces/%s", shuyu.ActWorkspaceRead)
}

// auditRows turns events into rows for a reader (the links depend on what
// the reader may open).
func (s *Server) auditRows(ctx context.Context, lang string, reader *shuyu.Actor, evs []shuyu.Event) ([]auditRow, error) {
	ids := make([]int64, 0, len(evs))
	for i := range evs {
		ids = append(ids, evs[i].ActorID)
	}
	people, err := s.db.People(ctx, ids)
	if err != nil {
		return nil, err
	}
	orgs, err := s.orgNameMap(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]auditRow, len(evs))
	for i := range evs {
		out[i] = s.auditRow(lang, reader, &evs[i], people, orgs)
	}
	return out, nil
}

func (s *Server) orgNameMap(ctx context.Context) (map[int64]string, error) {
	list, err := s.db.OrgNames(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(list))
	for _, o := range list {
		m[o.ID] = o.Name
	}
	return m, nil
}

func (s *Server) auditRow(lang string, reader *shuyu.Actor, e *shuyu.Event, people map[int64]sqlstore.Person, orgs map[int64]string) auditRow {
	row := auditRow{Seq: e.Seq, Time: e.Time, Reason: e.Reason, Event: e}
	switch p, ok := people[e.ActorID]; {
	case e.ActorID == 0:
		row.Who = T(lang, "audit.who.system")
	case ok:
		row.Who = p.Name
	default:
		row.Who = e.ActorName // an account since removed: its name as recorded
	}
	row.Org = orgs[e.ActorOrgID]
	if e.ActorRole != "" {
		row.Role = TOr(lang, "role."+e.ActorRole, e.ActorRole)
	}
	row.Action = TOr(lang, "audit.action."+e.Action, T(lang, "audit.unknown_action"))
	row.Object = auditObjectText(lang, e.ObjectType, e.ObjectID)
	if l, ok := s.auditLinks[e.ObjectType]; ok && auditNumeric(e.ObjectID) && (l.action == "" || shuyu.Can(reader, l.action, shuyu.Resource{})) {
		row.ObjectURL = fmt.Sprintf(l.path, e.ObjectID)
	}
	row.Sentence = auditSentence(lang, &row)
	return row
}

// auditObjectText names an object: its kind's label, and its number when
// the id is one (other ids are internal keys, left to the export).
func auditObjectText(lang, objectType, id string) string {
	if objectType == "" {
		return ""
	}
	kind := TOr(lang, "audit.kind."+objectType, T(lang, "audit.unknown_kind"))
	if auditNumeric(id) {
		return Tf(lang, "audit.object.numbered", kind, id)
	}
	return kind
}

func auditNumeric(id string) bool {
	if id == "" || len(id) > 19 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// auditSentence: "2026-12-03 14:05，王芳（中卫市数据局，市数据局工作人员）提交使用申请：使用申请 12 号。理由：……"
func auditSentence(lang string, r *auditRow) string {
	var ctx []string
	if r.Org != "" {
		ctx = append(ctx, r.Org)
	}
	if r.Role != "" {
		ctx = append(ctx, r.Role)
	}
	if len(ctx) > 0 {
		r.Context = Tf(lang, "audit.sentence.context", strings.Join(ctx, T(lang, "audit.sentence.sep")))
	}
	who := r.Who + r.Context
	when := r.Time.In(shanghai).Format("2006-01-02 15:04:05")
	var b strings.Builder
	if r.Object != "" {
		b.WriteString(Tf(lang, "audit.sentence", when, who, r.Action, r.Object))
	} else {
		b.WriteString(Tf(lang, "audit.sentence.noobject", when, who, r.Action))
	}
	if strings.TrimSpace(r.Reason) != "" {
		b.WriteString(Tf(lang, "audit.sentence.reason", strings.TrimSpace(r.Reason)))
	}
	return b.String()
}
