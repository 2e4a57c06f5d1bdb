package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// uiUserPages: accounts (security administrator). Roles offered for an
// account are those that fit its organization's kind; the separation of
// duties (三员分立, R29.1) is enforced by shuyu.ValidateRoles in the store
// and its message shown on the form.
func (s *Server) uiUserPages() {
	s.page("GET /admin/users", pageOpts{Nav: "nav.users", Group: "nav.group.admin", Order: 20, Action: shuyu.ActUserUpdate, Desc: "nav.users.desc"}, s.uiUsers)
	s.page("GET /admin/users/new", pageOpts{Action: shuyu.ActUserCreate}, s.uiNewUser)
	s.page("POST /admin/users", pageOpts{Action: shuyu.ActUserCreate}, s.uiCreateUser)
	s.page("GET /admin/users/{id}", pageOpts{Action: shuyu.ActUserUpdate}, s.uiUser)
	s.page("POST /admin/users/{id}", pageOpts{Action: shuyu.ActUserUpdate}, s.uiUpdateUser)
	s.page("POST /admin/users/{id}/unlock", pageOpts{Action: shuyu.ActUserUnlock}, s.uiUnlockUser)
	s.page("POST /admin/users/{id}/password", pageOpts{Action: shuyu.ActUserResetPass}, s.uiResetPassword)
	s.page("POST /admin/users/{id}/totp-reset", pageOpts{Action: shuyu.ActUserUpdate}, s.uiResetTOTP)
}

// userRow is an account with its organization and lock state for display.
type userRow struct {
	*shuyu.User
	Org    *shuyu.Org
	Locked bool
}

type usersData struct {
	Users []userRow
	OrgID int64
	List  *listView
}

func (s *Server) orgIndex(r *http.Request) ([]*shuyu.Org, map[int64]*shuyu.Org, error) {
	orgs, err := s.db.Orgs(r.Context(), uiActor(r), "")
	if err != nil {
		return nil, nil, err
	}
	idx := make(map[int64]*shuyu.Org, len(orgs))
	for _, o := range orgs {
		idx[o.ID] = o
	}
	return orgs, idx, nil
}

func (s *Server) userRow(u *shuyu.User, idx map[int64]*shuyu.Org) userRow {
	return userRow{User: u, Org: idx[u.OrgID], Locked: u.LockedUntil != nil && s.cfg.Now().Before(*u.LockedUntil)}
}

func (s *Server) uiUsers(w http.ResponseWriter, r *http.Request) error {
	lang := uiLang(r)
	orgs, idx, err := s.orgIndex(r)
	if err != nil {
		return err
	}
	orgID, _ := strconv.ParseInt(r.URL.Query().Get("org_id"), 10, 64)
	users, err := s.db.Users(r.Context(), uiActor(r), 0)
	if err != nil {
		return err
	}
	rows := make([]userRow, len(users))
	for i, u := range users {
		rows[i] = s.userRow(u, idx)
	}
	orgOpts := make([]listOption, len(orgs))
	for i, o := range orgs {
		orgOpts[i] = listOption{Value: strconv.FormatInt(o.ID, 10), Label: o.Name}
	}
	roles := make([]string, len(shuyu.Roles))
	for i, r := range shuyu.Roles {
		roles[i] = string(r)
	}
	orgName := func(u userRow) string {
		if u.Org == nil {
			return ""
		}
		return u.Org.Name
	}
	page, list, exported, err := runList(w, r, rows, listSpec[userRow]{
		Search:     func(u userRow) string { return u.Username + " " + u.DisplayName + " " + orgName(u) },
		SearchHint: "users.search.hint",
		Filters: []listFilter[userRow]{
			{Name: "org_id", Label: "user.org", Options: orgOpts,
				Match: func(u userRow, v string) bool { return strconv.FormatInt(u.OrgID, 10) == v }},
			{Name: "role", Label: "user.roles", Options: listOptions(lang, "role.", roles...),
				Match: func(u userRow, v string) bool { return u.HasRole(shuyu.Role(v)) }},
			{Name: "status", Label: "user.status", Options: listOptions(lang, "status.", "active", "disabled"),
				Match: func(u userRow, v string) bool { return u.Status == v }},
		},
		Columns: []listCol[userRow]{
			{"user.username", func(u userRow) any { return u.Username }},
			{"user.display_name", func(u userRow) any { return u.DisplayName }},
			{"user.org", func(u userRow) any { return orgName(u) }},
			{"user.roles", func(u userRow) any {
				out := make([]string, len(u.Roles))
				for i, r := range u.Roles {
					out[i] = T(lang, "role."+string(r))
				}
				return strings.Join(out, "、")
			}},
			{"user.status", func(u userRow) any { return TOr(lang, "status."+u.Status, u.Status) }},
			{"user.last_login", func(u userRow) any { return u.LastLoginAt }},
		},
		Name: "nav.users",
	})
	if exported || err != nil {
		return err
	}
	return s.render(w, r, "admin/users.html", usersData{Users: page, OrgID: max(orgID, 0), List: list})
}

// roleChoice is a role checkbox: Fits says whether it may be held in the
// chosen organization (others are hidden by the page's script and refused
// by the store).
type roleChoice struct {
	Role  shuyu.Role
	Kind  shuyu.OrgKind
	Admin bool
}

type newUserData struct {
	Orgs  []*shuyu.Org
	Org   *shuyu.Org // the chosen organization, if any
	Roles []roleChoice
	Form  *uiForm
}

func rolesFor(kind shuyu.OrgKind) []roleChoice {
	var out []roleChoice
	for _, ro := range shuyu.Roles {
		if kind == "" || ro.OrgKind() == kind {
			out = append(out, roleChoice{Role: ro, Kind: ro.OrgKind(), Admin: ro.IsAdmin()})
		}
	}
	return out
}

func (s *Server) newUserPage(w http.ResponseWriter, r *http.Request, f *uiForm) error {
	orgs, idx, err := s.orgIndex(r)
	if err != nil {
		return err
	}
	d := newUserData{Orgs: orgs, Form: f}
	id, _ := strconv.ParseInt(f.Get("org_id"), 10, 64)
	if o := idx[id]; o != nil {
		d.Org = o
		d.Roles = rolesFor(o.Kind)
	} else {
		d.Roles = rolesFor("")
	}
	return s.renderStatus(w, r, f.Status, "admin/user_new.html", d)
}

func (s *Server) uiNewUser(w http.ResponseWriter, r *http.Request) error {
	f := emptyForm()
	f.Values.Set("org_id", r.URL.Query().Get("org_id"))
	return s.newUserPage(w, r, f)
}

func formRoles(f *uiForm) []shuyu.Role {
	var out []shuyu.Role
	for _, v := range f.Values["roles"] {
		out = append(out, shuyu.Role(v))
	}
	return out
}

func (s *Server) uiCreateUser(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	orgID, _ := strconv.ParseInt(f.Get("org_id"), 10, 64)
	nu := sqlstore.NewUser{OrgID: orgID, Username: f.Get("username"), DisplayName: f.Get("display_name"),
		Roles: formRoles(f), Password: f.Values.Get("password")}
	if orgID <= 0 {
		err = shuyu.Errorf(shuyu.EINVALID, "请选择所属机构 (choose an organization)")
	} else {
		var u *shuyu.User
		if u, err = s.db.CreateUser(r.Context(), uiActor(r), nu); err == nil {
			return s.redirectFlash(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), "ok", Tf(lang, "users.created", u.Username))
		}
	}
	if ferr := f.fail(lang, err); ferr != nil {
		return ferr
	}
	return s.newUserPage(w, r, f)
}

type userData struct {
	User  userRow
	Roles []roleChoice
	Self  bool
	Form  *uiForm
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request, id int64, f *uiForm) error {
	a := uiActor(r)
	u, err := s.db.User(r.Context(), a, id)
	if err != nil {
		return err
	}
	o, err := s.db.Org(r.Context(), a, u.OrgID)
	if err != nil {
		return err
	}
	if f.Get("op") != "update" { // the edit form shows the account as it is
		f.Values.Set("display_name", u.DisplayName)
		f.Values.Set("status", u.Status)
		for _, ro := range u.Roles {
			f.Values.Add("roles", string(ro))
		}
	}
	row := s.userRow(u, map[int64]*shuyu.Org{o.ID: o})
	return s.renderStatus(w, r, f.Status, "admin/user.html", userData{User: row, Roles: rolesFor(o.Kind), Self: a.UserID == u.ID, Form: f})
}

func (s *Server) uiUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.userPage(w, r, id, emptyForm())
}

// uiUpdateUser sends only what changed, so that saving a form whose roles
// are untouched never trips the "own roles" rule.
func (s *Server) uiUpdateUser(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(w, r, "update", func(a *shuyu.Actor, id int64, f *uiForm) error {
		cur, err := s.db.User(r.Context(), a, id)
		if err != nil {
			return err
		}
		up := sqlstore.UserUpdate{Reason: f.Get("reason")}
		if n := f.Get("display_name"); n != cur.DisplayName {
			up.DisplayName = &n
		}
		if roles := formRoles(f); !sameRoles(roles, cur.Roles) {
			up.Roles = &roles
		}
		if st := f.Get("status"); st != cur.Status {
			up.Status = &st
		}
		_, err = s.db.UpdateUser(r.Context(), a, id, up)
		return err
	})
}

func sameRoles(a, b []shuyu.Role) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func (s *Server) uiUnlockUser(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(w, r, "unlock", func(a *shuyu.Actor, id int64, f *uiForm) error {
		return s.db.UnlockUser(r.Context(), a, id, f.Get("reason"))
	})
}

func (s *Server) uiResetPassword(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(w, r, "password", func(a *shuyu.Actor, id int64, f *uiForm) error {
		if f.Get("reason") == "" {
			return shuyu.Errorf(shuyu.EINVALID, "须填写原因 (reason required)")
		}
		return s.db.ResetPassword(r.Context(), a, id, f.Values.Get("password"), f.Get("reason"))
	})
}

func (s *Server) uiResetTOTP(w http.ResponseWriter, r *http.Request) error {
	return s.userAction(w, r, "totp", func(a *shuyu.Actor, id int64, f *uiForm) error {
		return s.db.ResetTOTP(r.Context(), a, id, f.Get("reason"))
	})
}

// userAction runs one of the account forms: success redirects to the
// account with a message ("users.done.<op>"), a refusal shows the account
// page again with the message and the input.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request, op string, fn func(*shuyu.Actor, int64, *uiForm) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	if err := fn(uiActor(r), id, f); err != nil {
		if code := shuyu.ErrorCode(err); code == shuyu.ENOTFOUND {
			return err
		}
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		f.Values.Set("op", op)
		return s.userPage(w, r, id, f)
	}
	return s.redirectFlash(w, r, "/admin/users/"+strconv.FormatInt(id, 10), "ok", T(lang, "users.done."+op))
}
