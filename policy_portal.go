package shuyu

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Actions of the public portal (issue 13). Reading the portal needs no
// login (its pages and API answer anonymous visitors); publishing notices
// and application cases is the authority's and the operator's (R32.1: the
// platform discloses what is authorized and how it is used).
const (
	ActPortalPublish Action = "portal_post.publish" // publish or withdraw a notice or a case
)

// PortalPost kinds.
const (
	PortalNotice = "notice" // 通知公告
	PortalCase   = "case"   // 典型案例
)

// PortalPost is a notice or an application case on the public portal.
type PortalPost struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	OrgID       int64     `json:"org_id"`
	OrgName     string    `json:"org_name"`
	PublishedAt time.Time `json:"published_at"`
}

// PortalPostInput is what a publisher writes.
type PortalPostInput struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Validate: a known kind, a title of 4..100 characters and a body of at
// least 10 and at most 20,000 characters.
func (in *PortalPostInput) Validate() error {
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	var errs []FieldError
	if in.Kind != PortalNotice && in.Kind != PortalCase {
		errs = append(errs, FieldError{Field: "kind", Message: "类别只能是通知公告或典型案例"})
	}
	if n := utf8.RuneCountInString(in.Title); n < 4 || n > 100 {
		errs = append(errs, FieldError{Field: "title", Message: "标题应为 4 到 100 个字"})
	}
	if n := utf8.RuneCountInString(in.Body); n < 10 || n > 20000 {
		errs = append(errs, FieldError{Field: "body", Message: "正文应为 10 到 20000 个字"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "公告内容不完整 (invalid post)").WithDetails(errs)
	}
	return nil
}

// portalRules: the city authority and the operator's administrators
// publish and withdraw; reading needs no rule (the store's reads are public).
var portalRules = []Rule{
	{RoleAuthority, ActPortalPublish, ScopeAny},
	{RoleOperatorAdmin, ActPortalPublish, ScopeAny},
}
