package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"shuyu"
	"shuyu/sqlstore"
)

// Public merchant registration (R18.1, R18.2): a company reads the
// onboarding rules in force, submits its materials with licence
// attachments, and follows its registration on a status page with the
// tracking code it receives once. The code travels in an HttpOnly cookie
// scoped to /register, never in a URL.

const (
	reviewuiRegCookie = "shuyu_registration"
	reviewuiMaxFiles  = 4
	// reviewuiUploadCap caps a registration request: the files plus the form.
	reviewuiUploadCap = reviewuiMaxFiles*shuyu.MaxFileSize + 256<<10
)

// reviewuiFile is an attachment read from the form and already checked.
type reviewuiFile struct {
	Name string
	Data []byte
}

func (s *Server) reviewuiRegisterForm(w http.ResponseWriter, r *http.Request) error {
	return s.reviewuiRenderRegister(w, r, http.StatusOK, emptyForm())
}

// reviewuiRenderRegister shows the form with the rules in force; without
// approved rules nobody can register (R18.1), and the page says so.
func (s *Server) reviewuiRenderRegister(w http.ResponseWriter, r *http.Request, status int, f *uiForm) error {
	rules, err := s.db.CurrentDocument(r.Context(), shuyu.DocOnboardingRules)
	if err != nil && shuyu.ErrorCode(err) == shuyu.EINTERNAL {
		return err
	}
	return s.renderStatus(w, r, status, "review/register.html", reviewuiData{Form: f, Rules: rules})
}

// reviewuiUpload parses a multipart form (capped) and checks its "files":
// at most reviewuiMaxFiles, each within shuyu.MaxFileSize and of a sniffed
// PDF/PNG/JPEG type, before anything is stored (bad input changes nothing).
func reviewuiUpload(w http.ResponseWriter, r *http.Request) (*uiForm, []reviewuiFile, error) {
	if r.ContentLength > reviewuiUploadCap {
		return nil, nil, shuyu.Errorf(shuyu.ETOOLARGE, "提交内容过大：附件最多 %d 个，每个不超过 %d MB (upload too large)",
			reviewuiMaxFiles, shuyu.MaxFileSize>>20)
	}
	r.Body = http.MaxBytesReader(w, r.Body, reviewuiUploadCap)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if errors.Is(err, http.ErrNotMultipart) {
			f, err := newForm(r)
			return f, nil, err
		}
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, nil, shuyu.Errorf(shuyu.ETOOLARGE, "提交内容过大：附件最多 %d 个，每个不超过 %d MB (upload too large)",
				reviewuiMaxFiles, shuyu.MaxFileSize>>20)
		}
		return nil, nil, shuyu.Errorf(shuyu.EINVALID, "表单无法解析 (malformed form)")
	}
	f := &uiForm{Values: r.PostForm, Status: http.StatusOK}
	var files []reviewuiFile
	var bad error
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // an empty file input
		}
		if len(files) == reviewuiMaxFiles {
			bad = reviewuiFileErr("附件最多 %d 个 (at most %d files)", reviewuiMaxFiles, reviewuiMaxFiles)
			break
		}
		data, err := reviewuiReadPart(fh)
		if err != nil {
			bad = err
			break
		}
		files = append(files, reviewuiFile{Name: fh.Filename, Data: data})
	}
	if bad != nil {
		if ferr := f.fail(uiLang(r), bad); ferr != nil {
			return nil, nil, ferr
		}
		return f, nil, bad
	}
	return f, files, nil
}

func reviewuiReadPart(fh *multipart.FileHeader) ([]byte, error) {
	if fh.Size > shuyu.MaxFileSize {
		return nil, reviewuiFileErr("附件“%s”超过 %d MB (file too large)", fh.Filename, shuyu.MaxFileSize>>20)
	}
	rd, err := fh.Open()
	if err != nil {
		return nil, shuyu.Errorf(shuyu.EINVALID, "读取附件失败 (cannot read upload)")
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, shuyu.MaxFileSize+1))
	if err != nil || len(data) == 0 || len(data) > shuyu.MaxFileSize {
		return nil, reviewuiFileErr("附件“%s”为空或无法读取 (empty or unreadable file)", fh.Filename)
	}
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !shuyu.AllowedFileTypes[ct] {
		return nil, reviewuiFileErr("附件“%s”须为 PDF、PNG 或 JPEG 文件 (unsupported file type %s)", fh.Filename, ct)
	}
	return data, nil
}

func reviewuiFileErr(format string, args ...any) error {
	e := shuyu.Errorf(shuyu.EINVALID, format, args...)
	return e.WithDetails([]shuyu.FieldError{{Field: "files", Message: uiMessage(langZH, e.Message)}})
}

// reviewuiRegister submits a registration: fields first, then the checked
// attachments, then the applicant is sent to its status page.
func (s *Server) reviewuiRegister(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "跨站请求被拒绝 (cross-site request refused)")
	}
	f, files, err := reviewuiUpload(w, r)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if f == nil {
		return err
	}
	lang := uiLang(r)
	rulesID, _ := strconv.ParseInt(f.Get("rules_doc_id"), 10, 64)
	var fe []shuyu.FieldError
	if f.Get("agree") != "1" {
		fe = append(fe, shuyu.FieldError{Field: "agree", Message: "须阅读并同意入驻规则"})
	}
	if f.Values.Get("password") != f.Values.Get("password2") {
		fe = append(fe, shuyu.FieldError{Field: "password2", Message: "两次输入的密码不一致"})
	}
	if len(files) == 0 {
		fe = append(fe, shuyu.FieldError{Field: "files", Message: "请上传营业执照等证照（PDF、PNG 或 JPEG）"})
	}
	if err == nil && len(fe) > 0 {
		err = shuyu.Errorf(shuyu.EINVALID, "入驻申请材料不完整 (registration incomplete)").WithDetails(fe)
	}
	var g *shuyu.Registration
	var token string
	if err == nil {
		g, token, err = s.db.SubmitRegistration(r.Context(), sqlstore.RegistrationInput{Registration: shuyu.Registration{
			Company: f.Get("company"), USCC: f.Get("uscc"), LegalRep: f.Get("legal_rep"), ContactName: f.Get("contact_name"),
			ContactPhone: f.Get("contact_phone"), ContactEmail: f.Get("contact_email"), BusinessScope: f.Get("business_scope"),
			SecurityStatement: f.Get("security_statement"), Username: f.Get("username"), RulesDocID: rulesID,
		}, Password: f.Values.Get("password")})
	}
	if err != nil {
		if f.Err == "" {
			if ferr := f.fail(lang, err); ferr != nil {
				return ferr
			}
		}
		f.Values.Del("password2")
		return s.reviewuiRenderRegister(w, r, f.Status, f)
	}
	s.reviewuiSetRegCookie(w, r, g.ID, token)
	for _, file := range files {
		if _, err := s.db.AddRegistrationFile(r.Context(), g.ID, token, file.Name, file.Data); err != nil {
			if shuyu.ErrorCode(err) == shuyu.EINTERNAL {
				return err
			}
			return s.redirectFlash(w, r, fmt.Sprintf("/register/%d", g.ID), "error", uiMessage(lang, shuyu.ErrorMessage(err)))
		}
	}
	return s.redirectFlash(w, r, fmt.Sprintf("/register/%d", g.ID), "ok", Tf(lang, "reviewui.reg.submitted", g.ID, token))
}

func (s *Server) reviewuiSetRegCookie(w http.ResponseWriter, r *http.Request, id int64, token string) {
	http.SetCookie(w, &http.Cookie{Name: reviewuiRegCookie, Value: fmt.Sprintf("%d.%s", id, token), Path: "/register",
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 180 * 24 * 3600})
}

// reviewuiRegToken returns the tracking code the browser holds for id.
func reviewuiRegToken(r *http.Request, id int64) string {
	c, err := r.Cookie(reviewuiRegCookie)
	if err != nil {
		return ""
	}
	sid, tok, ok := strings.Cut(c.Value, ".")
	if !ok || sid != strconv.FormatInt(id, 10) {
		return ""
	}
	return tok
}

func (s *Server) reviewuiLookupForm(w http.ResponseWriter, r *http.Request) error {
	f := emptyForm()
	f.Values.Set("id", r.URL.Query().Get("id"))
	return s.render(w, r, "review/register_lookup.html", reviewuiData{Form: f})
}

// reviewuiLookup lets an applicant on another browser enter its
// registration number and tracking code.
func (s *Server) reviewuiLookup(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "跨站请求被拒绝 (cross-site request refused)")
	}
	f, err := newForm(r)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(f.Get("id"), 10, 64)
	if _, err = s.db.RegistrationByToken(r.Context(), id, f.Get("token")); err != nil {
		if ferr := f.fail(uiLang(r), err); ferr != nil {
			return ferr
		}
		f.Err = T(uiLang(r), "reviewui.reg.lookup.fail") // the same answer for a wrong number or code
		f.Values.Del("token")
		return s.renderStatus(w, r, http.StatusNotFound, "review/register_lookup.html", reviewuiData{Form: f})
	}
	s.reviewuiSetRegCookie(w, r, id, f.Get("token"))
	http.Redirect(w, r, fmt.Sprintf("/register/%d", id), http.StatusSeeOther)
	return nil
}

// reviewuiRegStatus is the applicant's status page: the state, the
// decision deadline (date and working days left) while accepted, the
// reasons, the attachments, and the supplement form when asked for more.
func (s *Server) reviewuiRegStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	tok := reviewuiRegToken(r, id)
	if tok == "" {
		http.Redirect(w, r, fmt.Sprintf("/register/status?id=%d", id), http.StatusSeeOther)
		return nil
	}
	g, err := s.db.RegistrationByToken(r.Context(), id, tok)
	if err != nil {
		return err
	}
	return s.render(w, r, "review/register_status.html", reviewuiData{Form: emptyForm(), Reg: g})
}

// reviewuiSupplement adds the material the operator asked for; the
// 5-working-day clock restarts from it (R18.2).
func (s *Server) reviewuiSupplement(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return shuyu.Errorf(shuyu.EFORBIDDEN, "跨站请求被拒绝 (cross-site request refused)")
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	target := fmt.Sprintf("/register/%d", id)
	tok := reviewuiRegToken(r, id)
	if tok == "" {
		return shuyu.Errorf(shuyu.ENOTFOUND, "入驻申请不存在 (not found)")
	}
	f, files, err := reviewuiUpload(w, r)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if f == nil {
		return err
	}
	if err == nil && len(files) == 0 && f.Get("note") == "" {
		err = shuyu.Errorf(shuyu.EINVALID, "请上传补充材料或说明补充情况 (add a file or a note)")
	}
	if err == nil {
		var g *shuyu.Registration
		if g, err = s.db.RegistrationByToken(r.Context(), id, tok); err == nil && g.Status != shuyu.RegMoreMaterial {
			err = shuyu.Errorf(shuyu.ECONFLICT, "当前状态为“%s”，无需补充材料 (no material requested)", shuyu.StatusLabel(g.Status))
		}
	}
	for i := 0; err == nil && i < len(files); i++ {
		_, err = s.db.AddRegistrationFile(r.Context(), id, tok, files[i].Name, files[i].Data)
	}
	if err == nil {
		_, err = s.db.SupplementRegistration(r.Context(), id, tok, f.Get("note"))
	}
	return s.reviewuiDone(w, r, target, "reviewui.reg.supplemented", err)
}
