package web

import (
	"log/slog"
	"net/http"

	"shuyu"
	"shuyu/sqlstore"
)

// uiAuthPages: login, logout, the home page and the user's own account.
func (s *Server) uiAuthPages() {
	s.page("GET /login", pageOpts{Public: true}, s.uiLoginPage)
	s.page("POST /login", pageOpts{Public: true}, s.uiLogin)
	s.page("POST /logout", pageOpts{}, s.uiLogout)
	s.page("GET /{$}", pageOpts{Public: true, Nav: "nav.home", Group: "nav.group.work", Order: -100}, s.uiHome)
	s.page("GET /me", pageOpts{Nav: "nav.me", Group: "nav.group.account", Desc: "nav.me.desc"}, s.uiMe)
	s.page("POST /me/password", pageOpts{}, s.uiChangePassword)
	s.page("GET /me/totp", pageOpts{}, s.uiTOTPPage)
	s.page("POST /me/totp", pageOpts{}, s.uiTOTP)
}

type loginData struct {
	Form    *uiForm
	Next    string
	NeedOTP bool
	Locked  bool
}

func (s *Server) uiLoginPage(w http.ResponseWriter, r *http.Request) error {
	if uiSession(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, "login.html", loginData{Form: emptyForm(), Next: safeNext(r.URL.Query().Get("next"))})
}

// uiLogin checks the credentials through the store (which applies the
// MLPS lockout and second-factor rules) and sets the session cookie.
func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	lang := uiLang(r)
	d := loginData{Form: f, Next: safeNext(f.Get("next")), NeedOTP: f.Get("otp") != ""}
	req := sqlstore.LoginRequest{Username: f.Get("username"), Password: f.Values.Get("password"), OTP: f.Get("otp")}
	switch {
	case !sameOrigin(r):
		err = shuyu.Errorf(shuyu.EFORBIDDEN, "跨站请求被拒绝 (cross-site request refused)")
	case req.Username == "" || req.Password == "":
		err = shuyu.Errorf(shuyu.EINVALID, "请输入用户名和密码 (username and password required)")
	}
	var sess *sqlstore.Session
	if err == nil {
		sess, err = s.login(r.Context(), w, req)
	}
	if err != nil {
		switch shuyu.ErrorCode(err) {
		case shuyu.EOTPREQUIRED:
			d.NeedOTP = true
		case shuyu.ELOCKED:
			d.Locked = true
		}
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.renderStatus(w, r, f.Status, "login.html", d)
	}
	s.setSessionCookie(w, r, sess.Token)
	if sess.Restricted {
		return s.redirectFlash(w, r, "/me/totp", "info", T(lang, "totp.required"))
	}
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
	return nil
}

func (s *Server) uiLogout(w http.ResponseWriter, r *http.Request) error {
	sess := uiSession(r)
	if err := s.db.Logout(r.Context(), sess.Actor, sess.Token); err != nil {
		return err
	}
	s.clearSessionCookie(w, r)
	return s.redirectFlash(w, r, "/login", "ok", T(uiLang(r), "logout.done"))
}

// homeCard is one card of the home page: a menu item the user may open,
// with its description and, when its page registered a Count, a counter.
type homeCard struct {
	Label, Desc, Path, Count string
}

// uiHome is the front page: the public portal for visitors, the user's
// dashboard once logged in (the portal stays at /portal).
func (s *Server) uiHome(w http.ResponseWriter, r *http.Request) error {
	sess := uiSession(r)
	if sess == nil {
		// A session that must still set up its second factor is not a
		// visitor: it goes on with the enrolment.
		if tok, _ := bearer(r); tok != "" {
			if ss, err := s.db.Authenticate(r.Context(), tok); err == nil && ss.Restricted {
				http.Redirect(w, r, "/me/totp", http.StatusSeeOther)
				return nil
			}
		}
		return s.uiPortal(w, r)
	}
	if sess.Restricted {
		http.Redirect(w, r, "/me/totp", http.StatusSeeOther)
		return nil
	}
	lang := uiLang(r)
	var cards []homeCard
	for _, g := range s.navFor(sess.Actor, lang, "") {
		for _, it := range g.Items {
			if it.Desc == "" || it.Path == "/" {
				continue
			}
			c := homeCard{Label: it.Label, Desc: it.Desc, Path: it.Path}
			if o := it.entry.opts; o.Count != nil {
				n, err := o.Count(r.Context(), sess.Actor)
				if err != nil {
					s.log.WarnContext(r.Context(), "home counter", slog.String("page", it.Path), slog.Any("err", err))
				} else if n > 0 {
					c.Count = Tf(lang, o.CountLabel, n)
				}
			}
			cards = append(cards, c)
		}
	}
	return s.render(w, r, "home.html", struct {
		Cards []homeCard
		Dash  dashboard
	}{cards, s.dashboardFor(r.Context(), sess.Actor, lang)})
}

type meData struct {
	User *shuyu.User
	Form *uiForm
}

func (s *Server) uiMe(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, "me.html", meData{User: uiSession(r).User, Form: emptyForm()})
}

// uiChangePassword: a password change ends every session of the account
// (sqlstore.ChangePassword), so the user logs in again with the new one.
func (s *Server) uiChangePassword(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	sess, lang := uiSession(r), uiLang(r)
	if f.Values.Get("new_password") != f.Values.Get("new_password2") {
		err = shuyu.Errorf(shuyu.EINVALID, "两次输入的新密码不一致 (the new passwords differ)")
	} else {
		err = s.db.ChangePassword(r.Context(), sess.Actor, f.Values.Get("old_password"), f.Values.Get("new_password"))
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		return s.renderStatus(w, r, f.Status, "me.html", meData{User: sess.User, Form: f})
	}
	s.clearSessionCookie(w, r)
	return s.redirectFlash(w, r, "/login", "ok", T(lang, "me.password.changed"))
}

type totpData struct {
	User       *shuyu.User
	Restricted bool
	Enrollment *sqlstore.TOTPEnrollment
	Form       *uiForm
}

// uiTOTPPage is where a restricted session lands: the security policy
// requires a second factor for the user's role and none is enrolled yet.
func (s *Server) uiTOTPPage(w http.ResponseWriter, r *http.Request) error {
	sess := uiSession(r)
	return s.render(w, r, "me_totp.html", totpData{User: sess.User, Restricted: sess.Restricted, Form: emptyForm()})
}

// uiTOTP begins an enrollment (op=begin: shows the secret and otpauth URI
// once) or confirms it with a code (op=confirm), which lifts the session's
// restriction.
func (s *Server) uiTOTP(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	sess, lang := uiSession(r), uiLang(r)
	d := totpData{User: sess.User, Restricted: sess.Restricted, Form: f}
	switch f.Get("op") {
	case "begin":
		d.Enrollment, err = s.db.BeginTOTP(r.Context(), sess.Actor)
	case "confirm":
		// The pending secret is shown again if the code is wrong.
		d.Enrollment = &sqlstore.TOTPEnrollment{Secret: f.Get("secret"), URI: f.Get("uri")}
		err = s.db.ConfirmTOTP(r.Context(), sess.Actor, sess.Token, f.Get("code"))
		if err == nil {
			return s.redirectFlash(w, r, "/", "ok", T(lang, "totp.enabled"))
		}
	default:
		err = shuyu.Errorf(shuyu.EINVALID, "未知操作 (unknown operation)")
	}
	if err != nil {
		if ferr := f.fail(lang, err); ferr != nil {
			return ferr
		}
		if f.Get("op") != "confirm" {
			d.Enrollment = nil
		}
		return s.renderStatus(w, r, f.Status, "me_totp.html", d)
	}
	return s.render(w, r, "me_totp.html", d)
}
